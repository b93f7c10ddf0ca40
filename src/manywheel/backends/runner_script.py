"""Runs inside a container: one long-lived process that runs the commands the host sends it,
so that a job's commands cost one ``exec`` in all instead of one each (an exec costs ~0.3 s
with podman: a dozen of them per job was a third of an edit-rebuild).

Python 3.6+ and the standard library only: it runs under whichever CPython the image has
(its file is copied in; it is never imported by manywheel). One command at a time:

- request (stdin): one JSON line ``{"argv": [...], "cwd": "/dir" or null, "env": {...}}``;
  ``env`` is added to this process's environment, as ``exec --env`` does
- answer (stdout): frames of a type byte, a 4-byte big-endian length and the payload:
  ``H`` ready (sent once, at start), ``D`` output (stdout and stderr merged), ``E`` the exit
  status (ASCII digits; a command killed by signal N is 128+N, as a shell says)

The end of stdin (the host went away, or cancelled) kills the running command's process group
and ends the runner.
"""

import json
import os
import select
import signal
import struct
import subprocess
import sys
from typing import IO, Any, Dict, Optional, Tuple


def send(out: IO[bytes], kind: bytes, payload: bytes) -> None:
    out.write(kind + struct.pack(">I", len(payload)) + payload)
    out.flush()


def read_line(fd: int, buf: bytes) -> Tuple[Optional[bytes], bytes]:
    """(one line without its newline, or None at end of input; what was read beyond it)"""
    while b"\n" not in buf:
        chunk = os.read(fd, 65536)
        if not chunk:
            return None, b""
        buf += chunk
    line, _, rest = buf.partition(b"\n")
    return line, rest


def run(request: Dict[str, Any], out: IO[bytes], stdin_fd: int) -> int:
    argv = request["argv"]
    env = dict(os.environ)
    env.update(request.get("env") or {})
    try:
        child = subprocess.Popen(
            argv,
            cwd=request.get("cwd") or "/",
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename and exc.filename != argv[0] else ""
        send(out, b"D", f"manywheel: cannot run {argv[0]}: {exc.strerror}{where}\n".encode())
        return 126 if isinstance(exc, PermissionError) else 127
    assert child.stdout is not None
    fd = child.stdout.fileno()
    code = None
    while True:
        # once the command has exited, only what is already written is read: a process it
        # left in the background may hold the pipe open for as long as it runs
        ready, _, _ = select.select([fd, stdin_fd], [], [], 0.1 if code is None else 0)
        if stdin_fd in ready and not os.read(stdin_fd, 1):  # the host is gone: stop it all
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except OSError:
                pass
            child.wait()
            sys.exit(0)
        if fd in ready:
            data = os.read(fd, 65536)
            if not data:
                break
            send(out, b"D", data)
        elif code is not None:
            break
        code = child.poll() if code is None else code
    code = child.wait()
    child.stdout.close()
    return 128 - code if code < 0 else code


def main() -> None:
    out = sys.stdout.buffer
    fd = sys.stdin.fileno()
    send(out, b"H", b"")
    buf = b""
    while True:
        line, buf = read_line(fd, buf)
        if line is None:
            return
        status = run(json.loads(line.decode("utf-8")), out, fd)
        send(out, b"E", str(status).encode())


if __name__ == "__main__":
    main()
