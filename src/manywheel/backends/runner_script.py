"""Runs inside a container: one long-lived process that runs the commands the host sends it,
so that the commands of a container's jobs cost no ``exec`` each (an exec costs 0.1-0.3 s with
podman); it is the container's first process (runner.py, container_runner.py).

Python 3.6+ and the standard library only: it runs under whichever CPython the image has
(the host sends its text on stdin first, see runner.py; it is never imported by manywheel).
Any number of commands at once, each watched by a thread of its own:

- request (stdin): one JSON line ``{"id": N, "argv": [...], "cwd": "/dir" or null,
  "env": {...}}``; ``env`` is added to this process's environment, as ``exec --env`` does;
  with ``"input": SIZE`` the SIZE bytes after the line are the command's stdin (else
  /dev/null): a file, or the project's tar stream, put in without an exec of its own
- answer (stdout): frames of a type byte, the request's id and the payload's length (4-byte
  big-endian each) and the payload: ``H`` ready (id 0, sent once, at start), ``D`` output
  (stdout and stderr merged), ``E`` the exit status (ASCII digits; a command killed by signal
  N is 128+N, as a shell says), the request's last frame

The end of stdin (the host went away, or cancelled) kills the running commands' process
groups and ends the runner. A runner that is the container's first process (started by the
engine's ``run --interactive``, container_runner.py) becomes ``sleep infinity`` then, as
detached containers start: the container stays until it is removed, or kept for inspection.
"""

import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading
from typing import IO, Any, Dict, List, Optional, Tuple, Union

_LOCK = threading.Lock()  # one frame at a time on stdout; the children and the end below
_CHILDREN: Dict[int, "subprocess.Popen[bytes]"] = {}
_ENDING: List[bool] = []  # not empty once the input ended: no new command starts


def send(out: IO[bytes], kind: bytes, ident: int, payload: bytes) -> None:
    with _LOCK:
        out.write(kind + struct.pack(">II", ident, len(payload)) + payload)
        out.flush()


def read_exactly(fd: int, size: int, buf: bytes) -> Tuple[Optional[bytes], bytes]:
    """(``size`` bytes, or None at end of input; what was read beyond them)"""
    data = bytearray(buf)
    while len(data) < size:
        chunk = os.read(fd, max(size - len(data), 1 << 16))
        if not chunk:
            return None, b""
        data += chunk
    return bytes(data[:size]), bytes(data[size:])


def read_line(fd: int, buf: bytes) -> Tuple[Optional[bytes], bytes]:
    """(one line without its newline, or None at end of input; what was read beyond it)"""
    data = bytearray(buf)
    start = 0
    while True:
        end = data.find(b"\n", start)
        if end >= 0:
            return bytes(data[:end]), bytes(data[end + 1 :])
        start = len(data)
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return None, b""
        data += chunk


def start(
    request: Dict[str, Any], ident: int
) -> "Union[subprocess.Popen[bytes], Tuple[int, bytes]]":
    """The command started, or, for one that could not start, its status and what to send as
    its output: 126 not executable, 127 not found, 125 the runner is ending."""
    argv = request["argv"]
    env = dict(os.environ)
    env.update(request.get("env") or {})
    given = request.get("_input")
    with _LOCK:
        if _ENDING:
            return 125, b""
        try:
            child = subprocess.Popen(
                argv,
                cwd=request.get("cwd") or "/",
                env=env,
                stdin=subprocess.DEVNULL if given is None else subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            where = ""
            if exc.filename and exc.filename != argv[0]:
                where = f" ({exc.filename})"
            said = f"manywheel: cannot run {argv[0]}: {exc.strerror}{where}\n".encode()
            return 126 if isinstance(exc, PermissionError) else 127, said
        _CHILDREN[ident] = child
    if given is not None:
        threading.Thread(target=feed, args=(child, given), daemon=True).start()
    return child


def feed(child: "subprocess.Popen[bytes]", data: bytes) -> None:
    """The command's input written, then closed (a command that stops reading early ends
    the write)."""
    assert child.stdin is not None
    try:
        child.stdin.write(data)
    except OSError:
        pass
    finally:
        try:
            child.stdin.close()
        except OSError:
            pass


def run(request: Dict[str, Any], out: IO[bytes]) -> None:
    ident = int(request["id"])
    child = start(request, ident)
    if isinstance(child, tuple):
        status, said = child
        if said:
            send(out, b"D", ident, said)
        send(out, b"E", ident, str(status).encode())
        return
    assert child.stdout is not None
    fd = child.stdout.fileno()
    code = None
    while True:
        # once the command has exited, only what is already written is read: a process it
        # left in the background may hold the pipe open for as long as it runs
        ready, _, _ = select.select([fd], [], [], 0.1 if code is None else 0)
        if ready:
            data = os.read(fd, 65536)
            if not data:
                break
            send(out, b"D", ident, data)
        elif code is not None:
            break
        code = child.poll() if code is None else code
    code = child.wait()
    child.stdout.close()
    with _LOCK:
        del _CHILDREN[ident]
        if _ENDING:  # killed by end(): the host hears the runner end, not a status
            return
    send(out, b"E", ident, str(128 - code if code < 0 else code).encode())


def end() -> None:
    """The input ended: kill every command's process group, and no new one starts."""
    with _LOCK:
        _ENDING.append(True)
        children = list(_CHILDREN.values())
    for child in children:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except OSError:
            pass
    for child in children:
        child.wait()


def main() -> None:
    out = sys.stdout.buffer
    fd = sys.stdin.fileno()
    send(out, b"H", 0, b"")
    buf = b""
    while True:
        line, buf = read_line(fd, buf)
        if line is None:
            break
        request = json.loads(line.decode("utf-8"))
        if request.get("input") is not None:
            request["_input"], buf = read_exactly(fd, int(request["input"]), buf)
            if request["_input"] is None:
                break
        threading.Thread(target=run, args=(request, out), daemon=True).start()
    end()
    out.flush()
    if os.getpid() == 1:  # the container's first process: the container stays
        try:
            os.execvp("sleep", ["sleep", "infinity"])
        except OSError:
            pass
    os._exit(0)  # the watching threads need not finish: their commands are gone


if __name__ == "__main__":
    main()
