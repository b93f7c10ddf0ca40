"""The commands an executor is running, so that one cancel() stops them all.

Every command an executor starts goes through one tracker: job commands (output appended to the
job's log, masked as it is written) and its own plumbing (copy-in, copy-out, listing), so that a
cancel reaches them all, and nothing new starts after it.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from manywheel.errors import Cancelled

Mask = Callable[[str], str]


class Processes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._cancelled = False

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def spawn(self, argv: Sequence[str], **popen: Any) -> subprocess.Popen[bytes]:
        """Start argv, tracked until forget(proc); Cancelled once cancel() was called.

        OSError (the program cannot start) propagates to the caller."""
        with self._lock:
            if self._cancelled:
                raise Cancelled("cancelled before it started")
            proc = subprocess.Popen(list(argv), **popen)
            self._running.add(proc)
            return proc

    def forget(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.discard(proc)

    @contextlib.contextmanager
    def started(self, argv: Sequence[str], **popen: Any) -> Iterator[subprocess.Popen[bytes]]:
        """Start argv, tracked until the block ends (see spawn)."""
        proc = self.spawn(argv, **popen)
        try:
            yield proc
        except BaseException:
            if proc.poll() is None:
                proc.kill()
            raise
        finally:
            self.forget(proc)
            proc.wait()

    def run(self, argv: Sequence[str], log: Path, mask: Mask | None = None, **popen: Any) -> int:
        """Run argv with its output appended to log (masked line by line as it is written);
        its exit status (127: cannot start, -SIGINT: cancelled before it started)."""
        with log.open("ab") as out:
            try:
                with self.started(
                    argv,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    **popen,
                ) as proc:
                    assert proc.stdout is not None
                    for raw in iter(proc.stdout.readline, b""):
                        text = raw if mask is None else mask(raw.decode(errors="replace")).encode()
                        out.write(text)
                        out.flush()
                    return proc.wait()
            except Cancelled:
                return -signal.SIGINT
            except OSError as exc:
                out.write(f"manywheel: cannot run {argv[0]}: {exc.strerror}\n".encode())
                return 127

    def capture(
        self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        """Run argv to completion with its output captured (plumbing commands)."""
        with self.started(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        ) as proc:
            out, err = proc.communicate(stdin, timeout=timeout)
            return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)

    def cancel(self) -> list[subprocess.Popen[bytes]]:
        """Refuse new commands; return the running ones for the caller to stop."""
        with self._lock:
            self._cancelled = True
            return list(self._running)
