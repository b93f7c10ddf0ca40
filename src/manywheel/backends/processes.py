"""The commands a backend is running, so that one cancel() stops them all."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class Processes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._cancelled = False

    def run(self, argv: Sequence[str], log: Path, **popen: Any) -> int:
        """Run argv with its output appended to log; its exit status (127: cannot start)."""
        with log.open("ab") as out:
            with self._lock:
                if self._cancelled:
                    return -signal.SIGINT
                try:
                    proc = subprocess.Popen(
                        list(argv),
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        **popen,
                    )
                except OSError as exc:
                    out.write(f"manywheel: cannot run {argv[0]}: {exc.strerror}\n".encode())
                    return 127
                self._running.add(proc)
            try:
                return proc.wait()
            finally:
                with self._lock:
                    self._running.discard(proc)

    def cancel(self) -> list[subprocess.Popen[bytes]]:
        """Refuse new commands; return the running ones for the caller to stop."""
        with self._lock:
            self._cancelled = True
            return list(self._running)
