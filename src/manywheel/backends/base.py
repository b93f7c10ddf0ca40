"""The executor protocol that every backend satisfies, and what jobs share through it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Protocol


class Executor(Protocol):
    """Runs commands and moves files for a group of jobs.

    Paths are paths as the executor sees them (host paths for native, container paths for
    docker/podman). Implementations must be safe to use from several job threads at once,
    each job working in its own directory from ``make_workdir``.
    """

    #: the interpreter/tools layout: "native" or "container"
    kind: str

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
    ) -> int:
        """Run argv with ``env`` added to the base environment, output appended to ``log``.
        Returns the exit status."""
        ...

    def make_workdir(self, name: str) -> PurePosixPath:
        """A fresh directory for one job, with an empty ``tmp`` inside; removed by ``close``."""
        ...

    def prepare_source(self, dest: PurePosixPath) -> PurePosixPath:
        """A fresh copy of the project at ``dest`` (an sdist unpacked); returns the project dir."""
        ...

    def before_all_dir(self) -> PurePosixPath:
        """Where ``before-all`` runs: a project copy that no job builds from."""
        ...

    def copy_tree(self, src: PurePosixPath, dest: PurePosixPath) -> None:
        """Copy a file or directory within the executor."""
        ...

    def list_files(self, directory: PurePosixPath, suffix: str) -> list[PurePosixPath]: ...

    def put_file(self, src: Path, dest: PurePosixPath) -> None:
        """Copy one host file into the executor."""
        ...

    def copy_out(self, src: PurePosixPath, dest: Path) -> None:
        """Copy one file from the executor to a host path."""
        ...

    def tool_path(self) -> str:
        """PATH entries (joined) where auditwheel, patchelf and uv live for this executor."""
        ...

    def uv(self) -> str | None:
        """The uv executable in this executor, or None."""
        ...

    def debug_shell(self, cwd: PurePosixPath, env: Mapping[str, str]) -> None:
        """An interactive shell in a job's work dir and environment (--debug-shell)."""
        ...

    def cancel(self) -> None:
        """Kill every command still running (Ctrl-C, --fail-fast)."""
        ...

    def close(self) -> None:
        """Remove every temp dir/container this executor made."""
        ...

    def keep(self) -> str | None:
        """Leave the executor's environment in place for inspection; say how to enter it.

        None if this executor cannot be kept (then ``close`` is called as usual)."""
        ...


class Backend(Protocol):
    """Opens executors: one per group of jobs sharing an image and arch."""

    name: str

    def open(self, image: str, arch: str) -> Executor: ...

    def identity(self, image: str, python: str) -> str:
        """What a job is built with, for the cache key (image ID, interpreter build)."""
        ...
