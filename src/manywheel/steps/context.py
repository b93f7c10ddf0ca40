"""What every step of a job shares: the executor, the job, its log and its environment."""

from __future__ import annotations

import os
import shlex
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from manywheel.backends.base import Executor
from manywheel.caching.compiler_stats import CompilerStats
from manywheel.config.expansion import evaluate, fill
from manywheel.config.secrets import Masker
from manywheel.diagnose.missing_files import advised
from manywheel.errors import Cancelled, StepFailed
from manywheel.files import log_length
from manywheel.planning.build_system import BuildSystem
from manywheel.planning.plan import Job
from manywheel.release.build_paths import c_remap, rust_remap
from manywheel.toolchains.sysroot import Sysroot

StepListener = Callable[[str, str], None]  # (identifier, step name)

# At most this many of a run's commands ask the package index at once (a build environment's
# requirements resolved, installed or synced): the run's jobs share the turns
# (run/job_runner.py). On our test machine some of four uv processes asking at once waited 5 s
# for an answer (8 of 48 syncs; of two at once 2 of 48, one after the other none), and a cold
# four-wheel ujson build took 8.9-14.1 s without the limit, 9.1-9.5 s with it (one at a time:
# 9.8-10.0 s).
INDEX_AT_ONCE = 2


def _unsaid(text: str) -> None:
    """Where a context's announcements go when nobody listens (tests' contexts)."""


class BuildTurn:
    """The build command's turn: what it waits for, and the cores it then has (the job
    runner's, run/job_runner.py). The build step takes it right before it compiles, after what
    compiles nothing (the kept environment synced, the backend's hook asked), so that a job
    held for another's build does that meanwhile. This one never waits and gives one core."""

    def ahead(self) -> bool:
        """Whether taking the turn would wait."""
        return False

    def awaited(self) -> bool:
        """Whether other jobs' builds wait for this one's (it fills the compiler cache for
        them): the run has more builds than this one to keep the cores busy."""
        return False

    def shares_objects(self) -> bool:
        """Whether another job of the run compiles like this one (the same CPython flags, the
        same compiler cache), so that the two may share objects through the cache."""
        return False

    def reference(self) -> str | None:
        """The job of the run, this one or another, whose compile lines the jobs that compile
        like this one use where proven the same (steps/shared_line.py); None when none does."""
        return None

    def take(self, ctx: JobContext) -> None:
        """Wait for the turn (left out of the step's time: ctx.paused), set ctx.build_cores;
        taking it again does nothing."""


class CoreShare:
    """The cores the build command may use now: its share changes while it builds, as other
    builds start and end (run/build_slots.py), and each change is written where the build's
    tools read it (steps/parallel_build.py), once they are told where."""

    def __init__(self) -> None:
        self.cores = 1
        self.most = 1  # the machine's, that builds share
        self._lock = threading.Lock()
        self._write: Callable[[int], None] | None = None

    def set(self, cores: int) -> None:
        with self._lock:
            self.cores = cores
            if self._write is not None:
                self._write(cores)

    def follow(self, write: Callable[[int], None]) -> None:
        """``write`` the share now, and each new one from now on."""
        with self._lock:
            self._write = write
            write(self.cores)


# What cibuildwheel sets for build code, which projects read (a setup.py that makes a failed
# extension fatal under CIBUILDWHEEL=1, a test script that then tests the installed wheel):
# they behave as they do under cibuildwheel. CIBUILDWHEEL_BUILD_IDENTIFIER is the job's
# identifier, for one build's steps only. AUDITWHEEL_ARCH, which pypa's images set, is the
# job's arch where the image (or the host) does not set it.
COMPATIBLE_ENV = (("CIBUILDWHEEL", "1"),)


# prints $1 as a shell makes it between double quotes (an environment option's value)
EVALUATE_VALUE = 'eval "manywheel_value=\\"$1\\"" && printf %s "$manywheel_value"'


@dataclass
class JobContext:
    job: Job
    executor: Executor
    log: Path
    workdir: PurePosixPath
    cancel_event: threading.Event
    on_step: StepListener
    project: PurePosixPath = field(default_factory=lambda: PurePosixPath("/"))
    # one identifier's steps (before-build, build, repair, test), not a group's before-all:
    # CIBUILDWHEEL_BUILD_IDENTIFIER is set (COMPATIBLE_ENV)
    one_build: bool = True
    source_date_epoch: int | None = None  # SOURCE_DATE_EPOCH for reproducible builds
    # the project's [build-system]: a kept build environment is made for it (steps/build_env.py)
    build_system: BuildSystem | None = None
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # for the summary (JobResult.warnings)
    # the build command's own variables and config settings (a cross build's, steps/cross_build.py)
    build_env: dict[str, str] = field(default_factory=dict)
    build_settings: list[tuple[str, str]] = field(default_factory=list)
    # a cross build's target libraries and headers: zig compiles and links against them, the
    # repair grafts from them (steps/cross_build.py, toolchains/sysroot.py)
    sysroot: Sysroot | None = None
    # the cores the build command may use, decided when it takes its turn (run/build_slots.py)
    build_cores: int = 1
    core_share: CoreShare = field(default_factory=CoreShare)  # build_cores as it is now
    turn: BuildTurn = field(default_factory=BuildTurn)
    paused: float = 0.0  # seconds a step waited for other jobs, left out of its time
    # the run's turns at the package index (INDEX_AT_ONCE): a context of its own has its own
    index: threading.Semaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(INDEX_AT_ONCE)
    )
    # one line on the run's output, for what the job will not do as asked (a fallback): the
    # job's log alone is not read when the job succeeds
    announce: Callable[[str], None] = _unsaid
    # what ccache did for the build command, when it compiled through it (steps/ccache_stats_log.py)
    compiler_stats: CompilerStats | None = None
    _env: dict[str, str] | None = None
    _masker: Masker | None = None

    def mask(self, text: str) -> str:
        """Secrets of this job (environment, options, URLs) replaced with ****: every line
        reaches the log through here, so no secret is ever on disk."""
        if self._masker is None:
            # the options' $VAR expand against the executor's environment, as in self.env; the
            # host's fills in names a container lacks (masking more is harmless)
            base = {**os.environ, **self.executor.base_environment()}
            self._masker = Masker.for_job(os.environ, self.job.options, base)
        return self._masker.mask(text)

    @property
    def env(self) -> dict[str, str]:
        """The build environment: the 'environment' option evaluated against the executor's."""
        if self._env is None:
            # tools' temp files (uv's locks, compilers') stay in the job's dir, removed with it
            base = self.executor.base_environment()
            compatible = {**dict(COMPATIBLE_ENV), **self._image_defaults(base)}
            self._env = {
                "TMPDIR": str(self.workdir / "tmp"),
                **compatible,
                **self._toolchain_env(),
                **evaluate(self.job.options.environment, {**base, **compatible}, self.shell_value),
            }
            if self.one_build:  # after the user's, as cibuildwheel sets it
                self._env["CIBUILDWHEEL_BUILD_IDENTIFIER"] = str(self.job.identifier)
            if self.source_date_epoch is not None:
                self._env.update(self._reproducible_env(self._env, self.source_date_epoch))
        return self._env

    def _image_defaults(self, base: Mapping[str, str]) -> dict[str, str]:
        """What pypa's images set and cibuildwheel settings refer to (``AUDITWHEEL_PLAT =
        "manylinux2014_${AUDITWHEEL_ARCH}"``), for a host or an image that does not: the
        job's arch."""
        if "AUDITWHEEL_ARCH" in base:
            return {}
        return {"AUDITWHEEL_ARCH": self.job.identifier.arch}

    def shell_value(self, name: str, value: str, env: Mapping[str, str]) -> str:
        """``value`` as a shell makes it between double quotes ($VAR, $(command), backticks),
        run where the job runs, in the project copy, with ``env``: cibuildwheel evaluates its
        environment option so, in /project. (Not through run(): that asks for self.env.)"""
        out = self.workdir / f"environment-{name}.txt"
        script = f'{EVALUATE_VALUE} > "$2"'
        try:
            self._run("environment", ["sh", "-c", script, "sh", value, str(out)], self.project, env)
        except StepFailed as exc:
            exc.message = (
                f"{name}={value!r} (environment or test-environment) could not be evaluated: "
                f"the shell exited with status {exc.returncode} (its words are in the log). "
                "Check the command in it."
            )
            raise
        return self.read_text(out)

    def _reproducible_env(self, env: Mapping[str, str], epoch: int) -> dict[str, str]:
        """SOURCE_DATE_EPOCH (the user's own value wins), and compiler flags that keep this
        job's work dir out of what C and Rust compile (release/build_paths.py), so that a
        rebuild gives the same bytes."""
        base = self.executor.base_environment()
        return {
            "SOURCE_DATE_EPOCH": env.get("SOURCE_DATE_EPOCH", str(epoch)),
            "CPPFLAGS": c_remap(env, base, self.workdir),
            **rust_remap(env, base, self.workdir),
        }

    def fill(self, command: str, **more: str) -> str:
        """``command`` with cibuildwheel's ``{project}`` and ``{package}`` (both the project
        copy: manywheel builds the project at its root) and ``more`` filled in."""
        project = str(self.project)
        return fill(command, project=project, package=project, **more)

    def advised(self) -> AbstractContextManager[None]:
        """A build command's failure inside names what to install for what it did not find
        (diagnose/missing_files.py)."""
        options = self.job.options
        return advised(self.log, native=self.on_host, system_packages=options.system_packages)

    @property
    def on_host(self) -> bool:
        """Whether the job's commands run on the host (native, cross), not in a container."""
        return getattr(self.executor, "kind", "native") == "native"

    def _toolchain_env(self) -> dict[str, str]:
        options = self.job.options
        # zig compiles on the host; in a container (e.g. a cross build's test) it has no part
        if options.toolchain != "zig" or not self.on_host:
            return {}
        from manywheel.toolchains.zig import policy_glibc, write_wrappers, zig_binary
        from manywheel.toolchains.zig_rust import rust_zig_env

        policy, glibc = policy_glibc(options.manylinux_policy)
        arch = self.job.identifier.arch
        directory = Path(self.workdir) / "zig"
        env = write_wrappers(directory, arch, glibc, self.sysroot)
        base = self.executor.base_environment()
        rust = rust_zig_env(
            directory, arch, policy=policy, zig=zig_binary(), cc=env["CC"], base=base
        )
        return {**env, **rust}

    def use_sysroot(self, sysroot: Sysroot | None) -> None:
        """Build against a target's libraries and headers (the environment is made again)."""
        self.sysroot, self._env = sysroot, None

    def seen_by_build(self) -> dict[str, str]:
        """The variables the build command sees before the step adds its own: the executor's,
        the ``environment`` option's and a cross build's."""
        return {**self.executor.base_environment(), **self.env, **self.build_env}

    def put_text(self, dest: PurePosixPath, text: str) -> None:
        """Write ``text`` to ``dest`` in the executor (through a host temp file)."""
        with tempfile.TemporaryDirectory(prefix="manywheel-") as tmp:
            local = Path(tmp) / dest.name
            local.write_text(text, encoding="utf-8")
            self.executor.put_file(local, dest)

    def read_text(self, src: PurePosixPath) -> str:
        """The text of ``src`` in the executor; OSError when it is not there."""
        with tempfile.TemporaryDirectory(prefix="manywheel-") as tmp:
            local = Path(tmp) / src.name
            self.executor.copy_out(src, local)
            return local.read_text(encoding="utf-8", errors="replace")

    def path_with(self, *dirs: str | PurePosixPath) -> str:
        base = self.env.get("PATH") or self.executor.base_environment().get("PATH", "")
        return ":".join([*(str(d) for d in dirs if d), base])

    def check_cancelled(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled("cancelled before it finished")

    def note(self, text: str) -> None:
        with self.log.open("a", encoding="utf-8") as fh:
            fh.write(self.mask(text) + "\n")

    def run(
        self,
        step: str,
        argv: Sequence[str],
        *,
        cwd: PurePosixPath | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._run(step, argv, cwd, {**self.env, **(env or {})})

    def _run(
        self, step: str, argv: Sequence[str], cwd: PurePosixPath | None, env: Mapping[str, str]
    ) -> None:
        """run() with the command's whole environment given (not the job's plus ``env``)."""
        self.check_cancelled()
        shown = shlex.join(argv)
        self.note(f"\n[manywheel] {step}: $ {shown}")
        started = time.monotonic()
        code = self.executor.run(argv, cwd=cwd, env=env, log=self.log, mask=self.mask)
        self.note(f"[manywheel] {step}: exit {code} after {time.monotonic() - started:.2f} s")
        if self.cancel_event.is_set():
            raise Cancelled("cancelled before it finished")
        if code != 0:
            raise StepFailed(
                f"{step} failed: the command exited with status {code}",
                step=step,
                command=shown,
                returncode=code,
                log=self.log,
                log_end=log_length(self.log),
            )

    def shell(
        self,
        step: str,
        command: str,
        *,
        cwd: PurePosixPath | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.run(step, ["sh", "-c", command], cwd=cwd, env=env)

    @contextmanager
    def index_turn(self) -> Iterator[None]:
        """One of the run's turns at the package index, held for a command; the wait for it
        is left out of the step's time."""
        start = time.monotonic()
        with self.index:
            self.paused += time.monotonic() - start
            yield

    def timed(self, step: str) -> _Timer:
        self.on_step(self.job.name, step)
        return _Timer(self, step)


class _Timer:
    def __init__(self, ctx: JobContext, step: str) -> None:
        self.ctx, self.step = ctx, step

    def __enter__(self) -> None:
        self.start, self.paused = time.monotonic(), self.ctx.paused

    def __exit__(self, *exc: object) -> None:
        waited = self.ctx.paused - self.paused
        self.ctx.timings[self.step] = round(time.monotonic() - self.start - waited, 3)
