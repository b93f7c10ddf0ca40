"""The command runners of one container (runner.py): one exec per job, not one per command.

Idle runners wait in a pool; a command takes one (or starts one) and gives it back when it
ends, so there are as many runners as commands run at once (in practice: jobs run at once).
Without a Python for the runner (or when it cannot start) every command is an exec of its
own, and ``run`` says so by returning None.
"""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from manywheel.backends.base import Mask
from manywheel.backends.container_commands import ContainerCommands
from manywheel.backends.container_layout import RUNNER_SCRIPT
from manywheel.backends.runner import LogLines, Runner, RunnerGone
from manywheel.errors import Cancelled


class RunnerPool:
    """The runners in the container of ``commands``, started with ``python`` (see use())."""

    def __init__(self, commands: ContainerCommands) -> None:
        self._commands = commands
        self._processes = commands.processes
        self._lock = threading.Lock()
        self._python: str | None = None  # None: every command is an exec of its own
        self._idle: list[Runner] = []
        self._all: list[Runner] = []

    @property
    def python(self) -> str | None:
        """The Python runners start with; None: there are no runners."""
        return self._python

    def use(self, python: str | None) -> None:
        """Start runners with ``python`` (put at RUNNER_SCRIPT first); None: no runners."""
        self._python = python

    def run(
        self,
        argv: Sequence[str],
        cwd: PurePosixPath | None,
        env: Mapping[str, str],
        output: Callable[[bytes], object],
    ) -> int | None:
        """argv's exit status, run by an idle runner or a new one; None: there is no runner
        (plain execs). Cancelled: cancel() stopped it; OSError: the runner broke off."""
        if self._python is None:
            return None
        runner = self._take()
        if runner is None:
            return None
        try:
            code = runner.run(argv, cwd, env, output)
        except RunnerGone:
            self._drop(runner)
            if self._processes.cancelled:
                raise Cancelled("cancelled before it finished") from None
            raise OSError(
                f"the command runner in the container {self._commands.name} stopped unexpectedly"
            ) from None
        with self._lock:
            self._idle.append(runner)
        return code

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

    def _take(self) -> Runner | None:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            python = self._python
        if python is None:
            return None
        cmd, _ = self._commands.exec([python, str(RUNNER_SCRIPT)], interactive=True)
        proc = self._processes.spawn(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        runner = Runner(proc)
        with self._lock:
            self._all.append(runner)
        if runner.ready():
            return runner
        self._drop(runner)
        if self._processes.cancelled:
            raise Cancelled("cancelled before it started")
        with self._lock:
            self._python = None  # it cannot run here: plain execs from now on
        return None

    def _drop(self, runner: Runner) -> None:
        self._processes.forget(runner.proc)
        runner.stop()
        with self._lock:
            if runner in self._all:
                self._all.remove(runner)

    def stop(self) -> None:
        """End every runner (their exec clients end with their input)."""
        with self._lock:
            runners, self._all, self._idle = self._all, [], []
        for runner in runners:
            self._processes.forget(runner.proc)
            runner.stop()
