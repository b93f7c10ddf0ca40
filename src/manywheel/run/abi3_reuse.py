"""abi3 wheels are built once per platform and reused by every later CPython.

As cibuildwheel does (``find_compatible_wheel``): a ``cp3X-abi3`` wheel built for one
identifier serves every later identifier of the same group and platform whose CPython is 3.X
or newer (free-threaded CPythons and PyPy excepted: abi3 is not their ABI, and PyPy has no
stable ABI at all, so a PyPy job builds its own pp39-pypy39_pp73 wheel); those jobs skip
before-build, build and repair, and only test the wheel in their own interpreter.

Jobs run in parallel, so a later job may reach its build before the earlier one delivered:
when the project's build files mention the limited API (``Project.limited_api``), the later
jobs of a scope wait for the first one; otherwise they build at once, and reuse whatever
compatible wheel was already delivered.

A project may start its stable ABI at a later CPython than its oldest (setuptools'
``py_limited_api = "cp312"`` set only from 3.12 on, as nanobind does): its first jobs build
ordinary wheels. Such a wheel releases only its own job; the next oldest is still held for, so
that exactly one job of the scope builds the abi3 wheel (two would deliver one file name
twice). The price: a project that mentions the limited API but builds no abi3 wheel at all
builds its jobs of one scope one after the other.

The jobs held for an abi3 wheel need not wait for its delivery to test it: once the first job
repaired (and audited) it, it is offered (``offer``), and each held job tests it in its own
interpreter while the first job tests it in its own (``compatible``'s ``early``). What counts is
still the delivery: a held job whose early test passed takes the delivered wheel without testing
it again; if the first job fails after all, its offer is void and the next one builds as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from packaging.utils import parse_wheel_filename

from manywheel.planning.plan import GroupSpec, Job, group_of

Scope = tuple[GroupSpec, str]  # the group and the platform kind (manylinux, musllinux)


@dataclass(frozen=True)
class Reusable:
    wheel: Path  # the delivered wheel, in the output dir
    identifier: str  # the job that built it
    cached: Path | None = None  # its copy in the build cache, for later jobs' entries to link


@dataclass(frozen=True)
class Offered:
    wheel: PurePosixPath  # the repaired wheel, in the offering job's work dir (same executor)
    identifier: str  # the job that built it, still testing it


# tests an offered wheel in the held job's interpreter (run/pipeline.py); raises when it fails
EarlyTest = Callable[[Offered], None]


def is_abi3(wheel_name: str) -> bool:
    return any(tag.abi == "abi3" for tag in parse_wheel_filename(wheel_name)[3])


def scope_of(job: Job) -> Scope:
    return group_of(job), job.identifier.kind


def takes_abi3(job: Job) -> bool:
    """Whether an abi3 wheel can serve the job at all: a CPython with the GIL. Not PyPy (as
    cibuildwheel decides: it has no stable ABI, though pip installs cp3X-abi3 wheels on it)."""
    return not job.identifier.free_threaded and not job.identifier.is_pypy


def serves(wheel_name: str, job: Job) -> bool:
    """Whether an abi3 wheel can be installed on the job's CPython (platform: same scope)."""
    if not takes_abi3(job):
        return False
    _, _, _, tags = parse_wheel_filename(wheel_name)
    minor = job.identifier.version[1]
    return any(
        tag.abi == "abi3"
        and tag.interpreter.startswith("cp3")
        and int(tag.interpreter[3:] or 0) <= minor
        for tag in tags
    )


class Abi3Reuse:
    def __init__(self, jobs: Sequence[Job], *, hold: bool) -> None:
        self._cond = threading.Condition()
        self._wheels: dict[Scope, list[Reusable]] = {}
        # per scope, the jobs abi3 can serve, oldest CPython first; the first one not yet
        # finished is the one the others wait for (a failed first job hands over to the next)
        self._queue: dict[Scope, list[str]] = {}
        self._offered: dict[Scope, Offered] = {}
        if hold:
            for job in sorted(jobs, key=lambda j: j.identifier.version):
                if takes_abi3(job):
                    self._queue.setdefault(scope_of(job), []).append(job.name)

    def compatible(
        self, job: Job, cancelled: Callable[[], bool], early: EarlyTest | None = None
    ) -> Reusable | None:
        """A delivered wheel the job can reuse; first waits for its scope's first job, if the
        project is expected to be abi3. Meanwhile, ``early`` tests the wheel that job offers."""
        if not takes_abi3(job):
            return None
        scope = scope_of(job)
        tried: set[Offered] = set()
        while True:
            with self._cond:
                offered = self._held(scope, job, cancelled, None if early is None else tried)
                if offered is None or early is None:
                    found = self._wheels.get(scope, [])
                    return next((r for r in found if serves(r.wheel.name, job)), None)
            tried.add(offered)
            early(offered)  # outside the lock: the first job goes on meanwhile

    def _held(
        self, scope: Scope, job: Job, cancelled: Callable[[], bool], tried: set[Offered] | None
    ) -> Offered | None:
        """Waits (the lock held) while the job is held for another; a wheel offered that it
        has not tried ends the wait early (None: the wait is over)."""
        while (queue := self._queue.get(scope)) and queue[0] != job.name and not cancelled():
            offered = self._offered.get(scope)
            if (
                tried is not None
                and offered is not None
                and offered not in tried
                and serves(offered.wheel.name, job)
            ):
                return offered
            self._cond.wait(timeout=0.2)
        return None

    def offer(self, job: Job, wheel: PurePosixPath) -> None:
        """The scope's first job repaired an abi3 wheel and goes on to test it: the jobs held
        for it may test it meanwhile. Void once the job finished (delivered or not)."""
        if not takes_abi3(job) or not is_abi3(wheel.name):
            return
        scope = scope_of(job)
        with self._cond:
            queue = self._queue.get(scope)
            if queue and queue[0] == job.name:
                self._offered[scope] = Offered(wheel, job.name)
                self._cond.notify_all()

    def finished(self, job: Job, built: Reusable | None) -> None:
        """A job ended (any status); the wheel it built, if abi3, serves later jobs."""
        if not takes_abi3(job):  # its own ABI (cp313t, pp39): says nothing about abi3
            return
        scope = scope_of(job)
        with self._cond:
            queue = self._queue.get(scope, [])
            if job.name in queue:
                queue.remove(job.name)
            offered = self._offered.get(scope)
            if offered is not None and offered.identifier == job.name:
                del self._offered[scope]
            # an ordinary wheel says nothing of later CPythons (the abi3 setting may start at
            # one of them): the next oldest job is held for in turn
            if built is not None and is_abi3(built.wheel.name):
                self._wheels.setdefault(scope, []).append(built)
            self._cond.notify_all()
