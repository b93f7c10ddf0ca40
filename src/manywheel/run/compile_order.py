"""The order jobs start in, so that the compiler cache serves what one job compiled to the next.

ccache reuses an object only for the same compiler, flags and preprocessed source. Two
CPythons whose sysconfig compile flags (CC, CFLAGS, CCSHARED, OPT) are the same compile a C
file that does not include Python.h (a vendored library: pycryptodome's, zstd's) to the same
object; with other flags, nothing is shared. And a job can only reuse an object another job
already stored: two jobs compiling the same file at the same moment both miss, and both
compile it. So, within each group (one executor, one compiler cache):
- the first job of each flag signature (its *warmer*) starts before any second one, so that
  different signatures compile side by side (warm_order);
- the other jobs of a signature start their build once its warmer's build ended, successful
  or not (CacheWarmup), and find its objects in the cache. They start beside it (the
  scheduler's jobs_at_once makes room) and get ready meanwhile: the build step takes its turn
  (steps/context.py BuildTurn) only right before it compiles.

Signatures leave out what ccache leaves out of its hash: warning options that never change
an object (compiler_cache.WARNING_ONLY_OPTIONS, ``-Wno-unused-result``, which configure adds
up to 3.10). A host interpreter's are read from its sysconfig (planning/interpreters.py probes
it once per run). An image's interpreters are not known before the group starts, so their
signature is guessed from CPython's version (static_signature), by what CPython's configure
adds to every build's CFLAGS: ``-fwrapv`` up to 3.11, ``-fno-strict-overflow`` from 3.12 on,
and frame pointers too from 3.15 on (PEP 831). A wrong guess costs only time: jobs that could
share compile side by side, or a job waits for a warmer whose objects it cannot use (so does
a ``-Werror`` build, for which ccache hashes the warning options again).

Nothing moves and nothing waits when there is nothing to share (the scheduler's
share_objects): the compiler cache is off, or every C/C++ file of the project includes a
Python header (planning/shared_sources.py).

With the abi3 hold (abi3_reuse.py) the plan order is kept: a later CPython waits for the
oldest of its scope, which must have started before it. Every wait is for a job submitted
earlier, so a pool of any width never waits for a job it has not started.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from itertools import zip_longest

from manywheel.caching.compiler_cache import without_ignored
from manywheel.caching.warm_records import WarmRecords
from manywheel.config.identifiers import Identifier
from manywheel.planning.interpreters import probe
from manywheel.planning.plan import GroupSpec, Job, group_of

Signature = Callable[[Job], str]


def static_signature(identifier: Identifier) -> str:
    """The compile flags CPython's configure gives a version, guessed (an image's). A PyPy
    compiles against headers of its own: it shares objects with no CPython."""
    if identifier.is_pypy:
        return f"pypy{identifier.version[0]}.{identifier.version[1]}"
    minor = identifier.version[1]
    if minor <= 11:
        return "cpython<=3.11: -fwrapv"
    if minor <= 14:
        return "cpython>=3.12: -fno-strict-overflow"
    return "cpython>=3.15: -fno-strict-overflow -fno-omit-frame-pointer"


def flag_signature(job: Job) -> str:
    """How the job's CPython compiles C, as ccache hashes it: read from a host interpreter,
    guessed for an image's."""
    if not job.image:
        found = probe(job.python)
        if found is not None and found.compile_flags:
            return without_ignored(found.compile_flags)
    return static_signature(job.identifier)


def warm_order(jobs: Sequence[Job], signature: Signature) -> list[Job]:
    """The order to start ``jobs`` in: within each group, the first job of every signature
    (in plan order), then the second of every signature, and so on. Each group's jobs take the
    places its jobs have in ``jobs``, so that groups interleave as planned."""
    by_group: dict[GroupSpec, list[Job]] = {}
    for job in jobs:
        by_group.setdefault(group_of(job), []).append(job)
    ordered = {group: iter(_rounds(members, signature)) for group, members in by_group.items()}
    return [next(ordered[group_of(job)]) for job in jobs]


def _rounds(jobs: Sequence[Job], signature: Signature) -> list[Job]:
    by_signature: dict[str, list[Job]] = {}
    for job in jobs:
        by_signature.setdefault(signature(job), []).append(job)
    return [job for rank in zip_longest(*by_signature.values()) for job in rank if job is not None]


class CacheWarmup:
    """Holds each job's build until its warmer's build ended (nothing is held when disabled:
    without a compiler cache there is nothing to wait for; nor for a signature whose objects
    an earlier run stored, by ``records``, caching/warm_records.py)."""

    def __init__(
        self,
        started: Sequence[Job],
        signature: Signature,
        *,
        enabled: bool,
        records: WarmRecords | None = None,
    ) -> None:
        self._cond = threading.Condition()
        self._warmer: dict[str, str] = {}  # a job's name -> its warmer's
        self._warming: set[str] = set()  # warmers whose build has not ended
        self._records = records
        self._recorded: dict[str, tuple[str, str, str]] = {}  # warmer -> its record's key
        self._shared: set[str] = set()  # jobs another job of the run compiles like
        self._reference: dict[str, str] = {}  # such a job -> the first of its signature
        if not enabled:
            return
        first: dict[tuple[GroupSpec, str], str] = {}
        alike: dict[tuple[GroupSpec, str], list[str]] = {}
        for job in started:  # in the order they start: a warmer always starts first
            group, flags = group_of(job), signature(job)
            alike.setdefault((group, flags), []).append(job.name)
            key = (group.image, group.arch, flags)
            if records is not None and records.warmed(*key):
                continue  # its objects are in the cache already: nobody waits
            warmer = first.setdefault((group, flags), job.name)
            if warmer == job.name:
                self._warming.add(job.name)
                self._recorded[job.name] = key
            else:
                self._warmer[job.name] = warmer
        self._shared = {name for names in alike.values() if len(names) > 1 for name in names}
        self._reference = {
            name: names[0] for names in alike.values() if len(names) > 1 for name in names
        }

    @property
    def held(self) -> int:
        """How many jobs' builds wait for a warmer's."""
        return len(self._warmer)

    def planned_warmer(self, job: Job) -> str | None:
        """The job whose build ``job``'s build was planned to follow, finished or not."""
        return self._warmer.get(job.name)

    def shares_objects(self, job: Job) -> bool:
        """Whether another job of the run compiles like ``job`` (same group, same signature),
        so that the two share objects through the compiler cache; whether an earlier run
        warmed the signature or not, so that the answer is the same in every run of the same
        jobs (steps/depend_mode.py)."""
        return job.name in self._shared

    def reference(self, job: Job) -> str | None:
        """The first job of ``job``'s signature in the run (``job`` itself, when it is),
        whose compile lines the others use where proven the same (steps/shared_line.py); the
        same in every run of the same jobs, warmed or not. None: no other job compiles like
        it."""
        return self._reference.get(job.name)

    def warms_others(self, job: Job) -> bool:
        """Whether the builds of other jobs wait for the build of ``job``."""
        return job.name in self._warmer.values()

    def warmer_of(self, job: Job) -> str | None:
        """The job the build of ``job`` waits for, while that one has not finished building."""
        warmer = self._warmer.get(job.name)
        with self._cond:
            return warmer if warmer in self._warming else None

    def wait(self, job: Job, cancelled: Callable[[], bool]) -> None:
        """Return once the job's warmer finished building (or the run was cancelled)."""
        warmer = self._warmer.get(job.name)
        with self._cond:
            while warmer in self._warming and not cancelled():
                self._cond.wait(timeout=0.2)

    def succeeded(self, job: Job) -> None:
        """The job's build succeeded: if it warmed its signature's objects, later runs of
        the same shareable files need not wait for them."""
        key = self._recorded.get(job.name)
        if key is not None and self._records is not None:
            self._records.record(*key)

    def built(self, job: Job) -> None:
        """The job's build ended, or the job ended without one (any status): release the
        jobs that wait for it."""
        with self._cond:
            self._warming.discard(job.name)
            self._cond.notify_all()
