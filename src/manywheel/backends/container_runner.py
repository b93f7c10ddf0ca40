"""The command runner of one container (runner.py): it runs every command of the container's
jobs, side by side.

It is the container's first process (``start_attached``): the engine's ``run --interactive``
starts the container with the runner reading its requests from the run's input, so that no
exec is needed for it (an exec costs 0.1-0.2 s). Under QEMU there is none (a Python would start
slowly, emulated). Without a Python for it (or when it cannot start) every command is an exec
of its own, and ``run`` says so by returning None. A runner that breaks off fails the commands
it was running; the next command starts another, by an exec.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path, PurePosixPath

from manywheel.backends.base import Mask
from manywheel.backends.container_commands import START_SECONDS, ContainerCommands
from manywheel.backends.runner import (
    SCRIPT,
    LogLines,
    Runner,
    RunnerGone,
    find_python,
)
from manywheel.errors import Cancelled

# the runner's Python: the image's first (runner.find_python), as the image probe finds one
FIRST_PYTHON = "python3 or /opt/python/cp3*/bin/python3"


class ContainerRunner:
    """The runner in the container of ``commands``: its first process (start_attached), or,
    once that one broke off, one started by an exec."""

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

    def start_attached(self, run_argv: Callable[[list[str]], list[str]]) -> None:
        """Start the container with the runner as its first process: ``run_argv(first)`` is
        the engine's ``run --interactive`` of the first process ``first``. Waits until it
        runs; EnvironmentProblem saying what the engine said when the container did not start;
        Cancelled. An image without a Python for it runs ``sleep infinity`` instead, and its
        commands are execs."""
        script = SCRIPT.read_bytes()
        argv = run_argv(find_python(script, then="exec sleep infinity"))
        try:
            proc = self._processes.spawn(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:  # as a detached start says it (ContainerCommands.run_detached)
            raise self._commands.not_started(str(exc), None) from None
        said = _Tail(proc)
        runner = Runner(proc, script, attached=True)
        with self._lock:
            self._python, self._runner = FIRST_PYTHON, runner
        if runner.ready(timeout=START_SECONDS):
            return
        if not runner.no_python and not self._processes.cancelled:
            with suppress(subprocess.TimeoutExpired):  # it ends once it said why
                proc.wait(timeout=60)
        self._drop(runner)
        with self._lock:
            self._python = None
        if runner.no_python:  # the container runs: commands are execs
            return
        if self._processes.cancelled:
            raise Cancelled("cancelled before it started")
        why = said.text() or f"it did not start within {START_SECONDS} s"
        raise self._commands.not_started(why, proc.returncode)

    def _spawn(self) -> Runner:
        """A runner started by an exec, under the Python the first one found."""
        script = SCRIPT.read_bytes()
        cmd, _ = self._commands.exec(find_python(script, then="exit 0"), interactive=True)
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
                self._runner = self._spawn()
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

    def cancel(self) -> None:
        """Stop waiting for the runner's commands: the client of an attached container is
        killed (the engine would pass a SIGTERM on to the runner, which as the container's
        first process ignores it); the commands stop when the container is removed."""
        with self._lock:
            runner = self._runner
        if runner is not None and runner.attached:
            runner.proc.kill()

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


class _Tail:
    """What a process writes on its stderr, read as it comes (so that it never blocks on a full
    pipe); the last 8 KiB kept."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._stderr = proc.stderr
        self._kept = b""
        self._thread = threading.Thread(target=self._read, name="manywheel-stderr", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        if self._stderr is None:
            return
        fd = self._stderr.fileno()
        with suppress(OSError):
            while chunk := os.read(fd, 4096):
                self._kept = (self._kept + chunk)[-8192:]

    def text(self) -> str:
        """What it said, once it has ended (waits for the end of its stderr)."""
        self._thread.join(timeout=60)
        return self._kept.decode(errors="replace")
