"""The host side of the in-container command runner (runner_script.py): one engine ``exec``
starts a runner, which then runs any number of commands, one at a time, each for ~1 ms
instead of an exec's ~0.3 s. A container executor keeps a pool of idle runners, one per
command running at once (in practice: per job running at once).

Environment values travel in the request on the runner's stdin, never on a command line.
"""

from __future__ import annotations

import json
import struct
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import IO

from manywheel.backends.base import Mask

SCRIPT = Path(__file__).with_name("runner_script.py")
_HEADER = struct.Struct(">cI")


class RunnerGone(Exception):
    """The runner process ended (cancelled, the container went away, or it broke)."""


class Runner:
    """One runner process: ``proc`` is the engine's ``exec -i ... python runner_script.py``."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdin is not None
        assert proc.stdout is not None
        self.proc = proc
        self._stdin: IO[bytes] = proc.stdin
        self._stdout: IO[bytes] = proc.stdout

    def ready(self) -> bool:
        """Whether the runner started (its hello frame arrived)."""
        try:
            kind, _ = self._frame()
        except RunnerGone:
            return False
        return kind == b"H"

    def run(
        self,
        argv: Sequence[str],
        cwd: PurePosixPath | None,
        env: Mapping[str, str],
        output: Callable[[bytes], object],
    ) -> int:
        """Run one command; its output goes to ``output`` as it comes; its exit status.

        RunnerGone: the runner ended before the command did."""
        request = {"argv": list(argv), "cwd": str(cwd) if cwd else None, "env": dict(env)}
        try:
            self._stdin.write(json.dumps(request).encode() + b"\n")
            self._stdin.flush()
        except (OSError, ValueError):  # ValueError: its input was closed (stop())
            raise RunnerGone from None
        while True:
            kind, payload = self._frame()
            if kind == b"D":
                output(payload)
            elif kind == b"E":
                return int(payload)
            else:
                raise RunnerGone

    def _frame(self) -> tuple[bytes, bytes]:
        header = self._stdout.read(_HEADER.size)
        if len(header) < _HEADER.size:
            raise RunnerGone
        kind, size = _HEADER.unpack(header)
        payload = self._stdout.read(size) if size else b""
        if len(payload) < size:
            raise RunnerGone
        return kind, payload

    def stop(self) -> None:
        """End the runner (end of its input) and reap its exec client."""
        try:
            self._stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class LogLines:
    """Output bytes appended to a log, masked line by line (a secret split across two output
    chunks is still one line when masked)."""

    def __init__(self, out: IO[bytes], mask: Mask | None) -> None:
        self._out, self._mask, self._partial = out, mask, b""

    def __call__(self, data: bytes) -> None:
        *lines, self._partial = (self._partial + data).split(b"\n")
        for line in lines:
            self._write(line + b"\n")

    def close(self) -> None:
        if self._partial:
            self._write(self._partial)
            self._partial = b""

    def _write(self, raw: bytes) -> None:
        text = raw if self._mask is None else self._mask(raw.decode(errors="replace")).encode()
        self._out.write(text)
        self._out.flush()
