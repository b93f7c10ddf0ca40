"""The host side of the in-container command runner (runner_script.py): started as a
container's first process (the engine's ``run --interactive``, container_runner.py), or by an
``exec``, it runs any number of commands, side by side, each for ~1 ms instead of an exec's
0.1-0.3 s.

The runner's text goes in on its stdin (``BOOTSTRAP`` reads it), so that it needs no file in
the container. Environment values travel in the requests on its stdin too, never on a command
line.
"""

from __future__ import annotations

import itertools
import json
import struct
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from manywheel.backends.base import Mask

SCRIPT = Path(__file__).with_name("runner_script.py")
_HEADER = struct.Struct(">cII")


def bootstrap(script: bytes) -> str:
    """A ``python -c`` program that reads ``script`` (its exact length) from stdin and runs
    it as the main module, leaving the rest of stdin to it."""
    return (
        "import os\n"
        f"n, b = {len(script)}, b''\n"
        "while len(b) < n:\n"
        "    c = os.read(0, n - len(b))\n"
        "    if not c:\n"
        "        raise SystemExit(0)\n"
        "    b += c\n"
        "exec(compile(b, 'manywheel-runner', 'exec'))\n"
    )


# the frame a runner's first process sends when the image has no Python for it (kind N, id 0,
# nothing more), in printf's octal escapes
_NO_PYTHON_FRAME = "N" + "\\000" * 8


def find_python(script: bytes, *, then: str) -> list[str]:
    """A command that runs ``bootstrap(script)`` under the image's first Python (as the image
    probe finds one), else sends a no-Python frame and runs ``then``. The runner's commands
    get its environment as an exec's would be (podman's): without the shell's PWD (no command
    is in its directory), nor the HOSTNAME a container's first process has (the container's
    random ID: a build's environment would differ in every run)."""
    return [
        "sh",
        "-c",
        "unset PWD HOSTNAME; for p in python3 /opt/python/cp3*/bin/python3; do "
        'command -v "$p" >/dev/null 2>&1 && exec "$p" -c "$1"; done; '
        f"printf '{_NO_PYTHON_FRAME}'; {then}",
        "sh",
        bootstrap(script),
    ]


class RunnerGone(Exception):
    """The runner process ended (cancelled, the container went away, or it broke)."""


@dataclass
class _Request:
    output: Callable[[bytes], object]
    done: threading.Event = field(default_factory=threading.Event)
    code: int | None = None  # None when done: the runner ended first
    error: BaseException | None = None  # raised by ``output``


class Runner:
    """One runner process: ``proc`` is the engine's ``exec -i ... python -c BOOTSTRAP``, or an
    ``run --interactive`` whose container's first process is the runner (``attached``), its
    stdin and stdout pipes. Its frames are read by a thread of its own and handed to the
    requests they belong to."""

    def __init__(
        self, proc: subprocess.Popen[bytes], script: bytes | None = None, *, attached: bool = False
    ) -> None:
        assert proc.stdin is not None
        assert proc.stdout is not None
        self.proc = proc
        self._stdin: IO[bytes] = proc.stdin
        self._stdout: IO[bytes] = proc.stdout
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._requests: dict[int, _Request] = {}
        self._gone = False
        self._hello = threading.Event()
        self._started = False
        self.no_python = False  # its first frame said the image has no Python for it
        self.attached = attached
        if script is not None:  # for BOOTSTRAP; a broken pipe shows as the runner gone
            try:
                self._stdin.write(script)
                self._stdin.flush()
            except (OSError, ValueError):
                pass
        self._reader = threading.Thread(target=self._read, name="manywheel-runner", daemon=True)
        self._reader.start()

    def ready(self, timeout: float | None = None) -> bool:
        """Whether the runner started (its hello frame arrived); waits for it, at most
        ``timeout`` seconds when given (False then, if it has not)."""
        self._hello.wait(timeout)
        return self._started

    def run(
        self,
        argv: Sequence[str],
        cwd: PurePosixPath | None,
        env: Mapping[str, str],
        output: Callable[[bytes], object],
        stdin: bytes | None = None,
    ) -> int:
        """Run one command, ``stdin`` its input (else none); its output goes to ``output`` as
        it comes (from the reading thread); its exit status. Other threads may run commands
        at the same time.

        RunnerGone: the runner ended before the command did."""
        request = _Request(output)
        with self._lock:
            if self._gone:
                raise RunnerGone
            ident = next(self._ids)
            self._requests[ident] = request
            line = {
                "id": ident,
                "argv": list(argv),
                "cwd": str(cwd) if cwd else None,
                "env": dict(env),
            }
            if stdin is not None:  # its bytes follow the line, as they are
                line["input"] = len(stdin)
            try:
                self._stdin.write(json.dumps(line).encode() + b"\n")
                if stdin is not None:
                    self._stdin.write(stdin)
                self._stdin.flush()
            except (OSError, ValueError):  # ValueError: its input was closed (stop())
                del self._requests[ident]
                raise RunnerGone from None
        request.done.wait()
        if request.error is not None:
            raise request.error
        if request.code is None:
            raise RunnerGone
        return request.code

    def _read(self) -> None:
        try:
            kind, _, _ = self._frame()
            self._started = kind == b"H"
            self.no_python = kind == b"N"
            self._hello.set()
            while self._started:
                kind, ident, payload = self._frame()
                with self._lock:
                    request = self._requests.get(ident)
                if request is None:
                    break  # a frame for no request: the stream is broken
                if kind == b"D":
                    if request.error is None:
                        try:
                            request.output(payload)
                        except Exception as exc:  # raised in run()
                            request.error = exc
                elif kind == b"E":
                    with self._lock:
                        del self._requests[ident]
                    request.code = int(payload)
                    request.done.set()
                else:
                    break
        except RunnerGone:
            pass
        finally:
            self._hello.set()
            with self._lock:
                self._gone = True
                left, self._requests = list(self._requests.values()), {}
            for request in left:
                request.done.set()

    def _frame(self) -> tuple[bytes, int, bytes]:
        header = self._stdout.read(_HEADER.size)
        if len(header) < _HEADER.size:
            raise RunnerGone
        kind, ident, size = _HEADER.unpack(header)
        payload = self._stdout.read(size) if size else b""
        if len(payload) < size:
            raise RunnerGone
        return kind, ident, payload

    def end_input(self) -> None:
        """The end of its input: the runner stops what it runs and ends."""
        with self._lock:
            try:
                self._stdin.close()
            except OSError:
                pass

    def stop(self) -> None:
        """End the runner (end of its input) and reap its exec client. The client of an
        attached container is killed: it stays as long as the container does (which it does
        not stop: the container is removed, or kept for inspection)."""
        self.end_input()
        if self.attached:
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)


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
