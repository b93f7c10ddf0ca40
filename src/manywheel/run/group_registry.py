"""The executor of each group of a plan: opened and started by the first job that needs it,
set up once (system-packages, then before-all), and closed, or kept for inspection, at the end.

A group that cannot start is reported once, when it fails; its error is kept for the jobs that
ask later (they end "not-started") and for the run's exit code. When several groups cannot
start, the first in plan order decides the exit code, not the first to fail (that depends on
timing): the same plan gives the same code, that of the error `manywheel build` exits with
(start_errors[0]).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from pathlib import Path

from manywheel.backends.base import Backend, GroupExecutor
from manywheel.diagnose.missing_files import commands_not_found, toml_list
from manywheel.errors import Cancelled, ExitCode, GroupNotStarted, ManywheelError, StepFailed
from manywheel.files import log_length, log_text
from manywheel.planning.package_installs import system_packages
from manywheel.planning.plan import GroupSpec, Job, group_of
from manywheel.planning.system_packages import install_script
from manywheel.run.reporting import Reporter
from manywheel.steps.context import JobContext


class _Group:
    """The executor shared by the jobs of one group, started by the first job that needs it."""

    def __init__(self, spec: GroupSpec) -> None:
        self.spec = spec
        self.lock = threading.Lock()
        self.executor: GroupExecutor | None = None
        self.error: GroupNotStarted | None = None
        self.failed = False  # a job of the group failed: --keep-container keeps it


class GroupRegistry:
    def __init__(
        self,
        groups: Iterable[GroupSpec],
        *,
        backend: Backend,
        reporter: Reporter,
        cancel_event: threading.Event,
        keep_failed: bool = False,
    ) -> None:
        self.backend = backend
        self.reporter = reporter
        self.cancel_event = cancel_event
        self.keep_failed = keep_failed
        self.kept: list[str] = []  # how to enter each kept environment
        self.cleanup_errors: list[str] = []
        # in plan order (the order given), whatever order their starts end in
        self._groups = {spec: _Group(spec) for spec in groups}

    # -- starting ------------------------------------------------------------------------------
    def executor_for(self, job: Job, log: Path) -> GroupExecutor:
        """The job's group executor, started (and set up) by the first job to ask; raises
        the group's GroupNotStarted for every job once it failed to start."""
        group = self._groups[group_of(job)]
        with group.lock:
            if group.error is not None:
                raise group.error
            if group.executor is None:
                if self.cancel_event.is_set():
                    raise Cancelled("cancelled before it started")
                group.executor = self.backend.open(group.spec)  # first: cancel() reaches start
                self._start(group, group.executor, job, log)
            return group.executor

    def _start(self, group: _Group, executor: GroupExecutor, job: Job, log: Path) -> None:
        try:
            executor.start()
            self._set_up(group.spec, executor, job, log)
        except GroupNotStarted as exc:
            self._not_started(group, exc)
        except Cancelled:
            raise
        except ManywheelError as exc:
            self._not_started(group, GroupNotStarted(exc.message, exit_code=exc.exit_code))

    def _not_started(self, group: _Group, error: GroupNotStarted) -> None:
        if self.cancel_event.is_set():
            raise Cancelled("cancelled while its group started")
        group.error = error
        self.reporter.line(f"could not start {group.spec.describe()}: {error.message}")
        raise error

    def _set_up(self, spec: GroupSpec, executor: GroupExecutor, job: Job, log: Path) -> None:
        """Once per group: system-packages, then before-all, in the project copy (their
        output goes to the log of the job that started the group)."""
        if not (spec.system_packages or spec.before_all):
            return
        workdir = executor.make_workdir("before-all")
        ctx = JobContext(job, executor, log, workdir, self.cancel_event, self.reporter.step)
        ctx.project, ctx.one_build = executor.before_all_dir(), False
        start = log_length(log) or 0
        try:
            if spec.system_packages and executor.kind == "native":
                said = (
                    "system-packages are installed in containers only; the native backend "
                    f"does not install {' '.join(spec.system_packages)} (install them on the "
                    "host, or build with --platform podman or docker)"
                )
                ctx.note(f"[manywheel] {said}")
                self.reporter.line(said)  # the run's output: a successful job's log is not read
            elif spec.system_packages:
                self.reporter.step(job.name, "system-packages")
                script = install_script(spec.system_packages, job.identifier.kind)
                ctx.shell("system-packages", script)
            if spec.before_all:
                self.reporter.step(job.name, "before-all")
                command = ctx.fill(spec.before_all)  # as before-build's
                ctx.shell("before-all", command, cwd=ctx.project)
        except StepFailed as exc:
            raise GroupNotStarted(
                f"{exc.step} failed for {spec.describe()} "
                f"({_setup_detail(exc, log_text(log, start, exc.log_end), spec.before_all)}); "
                f"see {log}"
            ) from None

    # -- what the run learns -------------------------------------------------------------------
    @property
    def start_errors(self) -> list[GroupNotStarted]:
        """One error per group that could not start, in plan order (not in the order they
        failed, which depends on timing)."""
        return [group.error for group in self._groups.values() if group.error is not None]

    @property
    def exit_code(self) -> ExitCode | None:
        """The exit code of the first group in plan order that could not start, if any."""
        errors = self.start_errors
        return errors[0].exit_code if errors else None

    def job_failed(self, job: Job) -> None:
        """A job of this group failed: with keep_failed its environment is kept at the end."""
        self._groups[group_of(job)].failed = True

    # -- ending --------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop what every opened executor runs, a start in progress included."""
        for group in self._groups.values():
            if group.executor is not None:
                group.executor.cancel()

    def close_all(self) -> None:
        """Close every executor; one that fails to close does not keep the others open."""
        for group in self._groups.values():
            if group.executor is not None:
                self._close(group, group.executor)

    def _close(self, group: _Group, executor: GroupExecutor) -> None:
        try:
            kept = executor.keep() if group.failed and self.keep_failed else None
            if kept is not None:
                self.kept.append(kept)
            else:
                executor.close()
        except Exception as exc:
            message = exc.message if isinstance(exc, ManywheelError) else repr(exc)
            self.cleanup_errors.append(message)
            self.reporter.line(f"warning: cleaning up {group.spec.describe()}: {message}")


# the package managers a cibuildwheel before-all calls for pypa's images (yum, dnf, apk)
_MANAGERS = frozenset({"yum", "dnf", "apt-get", "apt", "apk", "microdnf"})
# a package apt or apk does not know: most often, lists the image removed to stay small
_UNKNOWN_PACKAGE = re.compile(
    r"^E: Unable to locate package (?P<apt>\S+)|^\s+(?P<apk>\S+) \(no such package\)", re.M
)


def _setup_detail(exc: StepFailed, said: str, before_all: str) -> str:
    """What went wrong in a group's set-up (``said``: what its commands wrote): the install
    script's own words if it said any; a package manager the image does not have (and the
    system-packages a before-all of install commands amounts to); else the exit status and
    the command's last line."""
    lines = said.splitlines()
    mine = [ln for ln in lines if ln.startswith("manywheel: system-packages")]
    if mine:
        return mine[-1].removeprefix("manywheel: ")
    managers = [c for c in commands_not_found(said) if c in _MANAGERS]
    if exc.returncode == 127 and managers:
        names = system_packages(before_all) if exc.step == "before-all" else None
        if names:
            return (
                f"the image has no {managers[0]}; system-packages = {toml_list(names)} installs "
                "the same with the package manager the image has (yum, dnf, apt-get or apk): use "
                "it instead of this before-all"
            )
        return (
            f"the image has no {managers[0]}; system-packages installs libraries with the "
            "package manager the image has (yum, dnf, apt-get or apk), under that manager's "
            "names: name them there instead"
        )
    unknown = _UNKNOWN_PACKAGE.search(said)
    if unknown and exc.step == "before-all":
        return _unknown_package(unknown, before_all)
    words = [ln.strip() for ln in lines if ln.strip() and not ln.startswith("[manywheel]")]
    last = f": {words[-1]}" if words else ""  # its own last line, the error as a rule
    return f"exit status {exc.returncode}{last}"


def _unknown_package(found: re.Match[str], before_all: str) -> str:
    """A before-all's install of a package its manager does not know: the lists an image
    leaves empty (its package index is read by an update first), or a name of another
    distribution's; and the system-packages that update the lists by themselves."""
    manager, update = ("apt-get", "apt-get update") if found["apt"] else ("apk", "apk update")
    name = found["apt"] or found["apk"]
    names = system_packages(before_all)
    instead = (
        f"system-packages = {toml_list(names)} updates the lists and installs the same under the "
        "image's own names: use it instead of this before-all"
        if names
        else f"run {update} before the install, or name the libraries in system-packages, "
        "which updates the lists and installs them under the image's own names"
    )
    return (
        f"{manager} knows no package {name}: the image's package lists are empty until "
        f"{update} runs (images remove them to stay small), or the name is not this "
        f"distribution's; {instead}"
    )
