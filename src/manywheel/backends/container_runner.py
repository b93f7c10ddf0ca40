"""The command runner of one container (runner.py): one exec for all its jobs' commands.

Started with the container, while the project is still being copied in, it runs every
command of the container's jobs, side by side. Without a Python for it (or when it cannot
start) every command is an exec of its own, and ``run`` says so by returning None. A runner
that breaks off fails the commands it was running; the next command starts another.
"""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from manywheel.backends.base import Mask
from manywheel.backends.container_commands import ContainerCommands
from manywheel.backends.runner import SCRIPT, LogLines, Runner, RunnerGone, bootstrap
from manywheel.errors import Cancelled


class ContainerRunner:
    """The runner in the container of ``commands``, started with ``python`` (see start())."""

    def __init__(self, commands: ContainerCommands) -> None:
        self._commands = commands
        self._processes = commands.processes
        self._lock = threading.Lock()
        self._python: str | None = None  # None: every command is an exec of its own
        self._runner: Runner | None = None

    @property
    def python(self) -> str | None:
        """The Python the runner runs under; None: there is no runner."""
        return self._python

    def start(self, python: str | None) -> None:
        """Start the runner with ``python``, not waiting for it; None: no runner."""
        with self._lock:
            self._python = python
            if python is not None and self._runner is None:
                self._runner = self._spawn(python)

    def _spawn(self, python: str) -> Runner:
        script = SCRIPT.read_bytes()
        cmd, _ = self._commands.exec([python, "-c", bootstrap(script)], interactive=True)
        proc = self._processes.spawn(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        return Runner(proc, script)

    def run(
        self,
        argv: Sequence[str],
        cwd: PurePosixPath | None,
        env: Mapping[str, str],
        output: Callable[[bytes], object],
        stdin: bytes | None = None,
    ) -> int | None:
        """argv's exit status, run by the runner (``stdin`` its input); None: there is no
        runner (plain execs). Cancelled: cancel() stopped it; OSError: the runner broke off."""
        runner = self._ready()
        if runner is None:
            return None
        try:
            return runner.run(argv, cwd, env, output, stdin)
        except RunnerGone:
            self._drop(runner)
            if self._processes.cancelled:
                raise Cancelled("cancelled before it finished") from None
            raise OSError(
                f"the command runner in the container {self._commands.name} stopped unexpectedly"
            ) from None

    def run_logged(
        self,
        argv: Sequence[str],
        cwd: PurePosixPath | None,
        env: Mapping[str, str],
        log: Path,
        mask: Mask | None,
    ) -> int | None:
        """run(), its output appended to ``log`` masked line by line; a runner that breaks
        off says so in the log (exit status 125), a cancelled one is -SIGINT."""
        with log.open("ab") as out:
            lines = LogLines(out, mask)
            try:
                return self.run(argv, cwd, env, lines)
            except Cancelled:
                return -signal.SIGINT
            except OSError as exc:
                lines.close()
                out.write(f"\nmanywheel: {exc}\n".encode())
                return 125
            finally:
                lines.close()

    def _ready(self) -> Runner | None:
        """The runner, once it has started (started now if the last one broke off); None:
        it cannot run here, and commands are execs from now on."""
        with self._lock:
            if self._python is None:
                return None
            if self._runner is None:
                self._runner = self._spawn(self._python)
            runner = self._runner
        if runner.ready():
            return runner
        self._drop(runner)
        if self._processes.cancelled:
            raise Cancelled("cancelled before it started")
        with self._lock:
            self._python = None  # it cannot run here: plain execs from now on
        return None

    def _drop(self, runner: Runner) -> None:
        with self._lock:
            if self._runner is runner:
                self._runner = None
        self._processes.forget(runner.proc)
        runner.stop()

    def end_input(self) -> None:
        """Tell the runner to end, without waiting for its exec client (stop reaps it)."""
        with self._lock:
            runner = self._runner
        if runner is not None:
            runner.end_input()

    def stop(self) -> None:
        """End the runner (its exec client ends with its input)."""
        with self._lock:
            runner, self._runner = self._runner, None
        if runner is not None:
            self._processes.forget(runner.proc)
            runner.stop()
