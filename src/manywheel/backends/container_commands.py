"""The engine commands for one container: start it, build ``exec`` command lines, capture a
command's output, remove it.

Every command but the removal goes through the executor's process tracker, so that cancel()
stops them. Environment values never appear on the engine's command line (visible in
``ps``): commands name the variables, and their values travel in the engine client's own
environment.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Protocol

from manywheel.backends.container_layout import DEFAULT_PATH, WORK_VOLUMES
from manywheel.backends.engine import Engine, platform_args
from manywheel.backends.processes import Processes
from manywheel.errors import CleanupFailed, EnvironmentProblem

# Variables the engine client itself reads: passed by value (they hold no secrets), so that
# the client keeps its own PATH, temp dir, home and connection settings.
_CLIENT_VARS = {"PATH", "TMPDIR", "HOME", "USER", "SHELL", "LANG", "LC_ALL"}
_CLIENT_PREFIXES = ("DOCKER_", "PODMAN_", "CONTAINER_", "CONTAINERS_", "XDG_", "REGISTRY_")


class RunCommand(Protocol):
    """Runs argv in a command runner (container_runner.py)."""

    def __call__(
        self,
        argv: Sequence[str],
        cwd: PurePosixPath | None,
        env: Mapping[str, str],
        output: Callable[[bytes], object],
    ) -> int | None:
        """argv's exit status, its output passed to ``output``; None: there is no runner
        (then the command is an exec of its own)."""
        ...


def exec_env(env: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """``--env`` arguments for an exec, and the values to put in the client's environment."""
    args: list[str] = []
    client: dict[str, str] = {}
    for key, value in env.items():
        if key in _CLIENT_VARS or key.startswith(_CLIENT_PREFIXES):
            args += ["--env", f"{key}={value}"]
        else:
            args += ["--env", key]
            client[key] = value
    return args, client


# how long a container's start may take, detached or with the runner as its first process
START_SECONDS = 300


class ContainerCommands:
    """Engine commands for the container ``name``, run from ``image`` for ``arch``."""

    def __init__(
        self, engine: Engine, image: str, arch: str, *, emulated: bool, processes: Processes
    ) -> None:
        self.engine = engine
        self.image = image
        self.arch = arch
        self.name = f"manywheel-{uuid.uuid4().hex[:12]}"
        self.processes = processes
        self._emulated = emulated
        self._prefix = ["linux32"] if arch in ("i686", "armv7l") and not emulated else []
        self.start_key = ""  # run_detached sets it

    @property
    def volumes(self) -> list[str]:
        """The names of the container's own volumes (WORK_VOLUMES), removed after it."""
        return [f"{self.name}-{suffix}" for suffix in WORK_VOLUMES]

    def run_argv(self, mounts: Sequence[str], first: Sequence[str] | None = None) -> list[str]:
        """The command that starts the container, with ``mounts`` (``--volume`` args) and its
        own volumes (``volumes``: ``remove`` removes them): detached, its first process
        ``sleep infinity``; or attached to its input and output, its first process ``first``
        (the command runner: container_runner.py)."""
        how = ["--detach"] if first is None else ["--interactive"]
        argv = self.engine.command(
            "run",
            *how,
            "--name",
            self.name,
            "--label",
            "manywheel=1",
            "--env",
            f"PATH={DEFAULT_PATH}",
        )
        argv += mounts
        for volume, path in zip(self.volumes, WORK_VOLUMES.values(), strict=True):
            argv += ["--volume", f"{volume}:{path}"]
        argv += platform_args(self.engine, self.image, self.arch, self._emulated)
        command = ["sleep", "infinity"] if first is None else list(first)
        return [*argv, *self.engine.create_args, self.image, *self._prefix, *command]

    def keyed(self, argv: Sequence[str]) -> None:
        """``start_key``: what the container started by ``argv`` has in common with one
        another run starts the same way (the command but for its name)."""
        self.start_key = json.dumps([a.replace(self.name, "{name}") for a in argv])

    def run_detached(self, mounts: Sequence[str]) -> None:
        """Start the container (``run_argv``), detached, keyed (``keyed``)."""
        argv = self.run_argv(mounts)
        self.keyed(argv)
        try:
            proc = self.processes.capture(argv, timeout=START_SECONDS)
        except (OSError, subprocess.TimeoutExpired) as exc:
            proc = subprocess.CompletedProcess(argv, 1, b"", str(exc).encode())
        if proc.returncode != 0:
            raise self.not_started(proc.stderr.decode(errors="replace"), proc.returncode)

    def not_started(self, said: str, code: int | None) -> EnvironmentProblem:
        """The error of a container start that failed, saying what the engine said last (not
        docker's usage lines after a bad argument: "Usage: ...", "Run '... --help' ...")."""
        lines = [ln for ln in said.splitlines() if ln.strip() and not _usage_hint(ln)]
        return EnvironmentProblem(
            f"{self.engine.name} could not start a container from '{self.image}' "
            f"({lines[-1] if lines else code}). Check that the image runs "
            f"('{self.engine.name} run --rm {self.image} true') and the engine's "
            "configuration ('manywheel doctor')."
        )

    def remove(self) -> None:
        """Remove the container, then its volumes (also when it was removed from outside);
        CleanupFailed (saying how to remove them) when that fails."""
        # podman waits 10 s for `sleep` (PID 1 ignores SIGTERM) unless told not to
        no_wait = ["--time", "0"] if self.engine.name == "podman" else []
        # --volumes: the anonymous volumes of the image's own VOLUME lines
        argv = self.engine.command("rm", "--force", "--volumes", *no_wait, self.name)
        why = _removal_problem(argv)
        if why and not self._gone():
            raise CleanupFailed(
                f"could not remove the container {self.name} ({why}); remove it and its "
                f"volumes with '{shlex.join(argv[:4])} {self.name}' and "
                f"'{self.engine.name} volume rm {' '.join(self.volumes)}'."
            )
        argv = self.engine.command("volume", "rm", "--force", *self.volumes)
        why = _removal_problem(argv)
        if why:
            raise CleanupFailed(
                f"could not remove the volumes of the container {self.name} ({why}); remove "
                f"them with '{shlex.join(argv)}'."
            )

    def _gone(self) -> bool:
        try:
            proc = subprocess.run(
                self.engine.command("container", "inspect", self.name),
                capture_output=True,
                check=False,
                stdin=subprocess.DEVNULL,
                timeout=60,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return proc.returncode != 0

    def exec(
        self,
        argv: Sequence[str],
        *,
        cwd: PurePosixPath | None = None,
        env: Mapping[str, str] | None = None,
        interactive: bool = False,
    ) -> tuple[list[str], dict[str, str]]:
        """The engine command for argv, and what its client's environment must add."""
        cmd = self.engine.command("exec")
        if interactive:
            cmd.append("--interactive")
        cmd += ["--workdir", str(cwd if cwd is not None else PurePosixPath("/"))]
        env_args, client = exec_env(env or {})
        return [*cmd, *env_args, self.name, *self._prefix, *argv], client

    def capture(
        self, argv: Sequence[str], stdin: bytes | None = None, runner: RunCommand | None = None
    ) -> str:
        """argv's output; EnvironmentProblem saying what it said when it fails."""
        shown = f"in the {self.image} container, '{shlex.join(argv)}'"
        try:
            code, out, said = self._captured(argv, stdin, runner)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EnvironmentProblem(f"{shown} could not run: {exc}") from None
        if code != 0:
            raise EnvironmentProblem(f"{shown} failed: {said.strip()[-300:]}")
        return out

    def _captured(
        self, argv: Sequence[str], stdin: bytes | None, runner: RunCommand | None
    ) -> tuple[int, str, str]:
        """(exit status, output, what it said on failure): through the runner (stdout and
        stderr merged), else an exec of its own."""
        if stdin is None and runner is not None:
            chunks: list[bytes] = []
            code = runner(argv, None, {}, chunks.append)
            if code is not None:
                text = b"".join(chunks).decode(errors="replace")
                return code, text, text
        cmd, _ = self.exec(argv, interactive=stdin is not None)
        proc = self.processes.capture(cmd, stdin=stdin, timeout=600)
        out, err = (b.decode(errors="replace") for b in (proc.stdout, proc.stderr))
        return proc.returncode, out, err


def _usage_hint(line: str) -> bool:
    """A line of docker's usage text, which follows the error of a bad argument."""
    text = line.strip()
    return text.startswith("Usage:") or (text.startswith("Run '") and "--help'" in text)


def _removal_problem(argv: Sequence[str]) -> str:
    """What a removal command said when it failed; "" when it succeeded."""
    try:
        # its own session: a second Ctrl-C at the terminal must not stop the removal
        proc = subprocess.run(
            argv,
            capture_output=True,
            check=False,
            stdin=subprocess.DEVNULL,
            timeout=120,
            start_new_session=True,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return proc.stderr.decode(errors="replace").strip()[-200:] if proc.returncode else ""
