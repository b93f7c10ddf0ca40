"""Running manywheel as a user would, as a subprocess: the one helper every test uses.

Each child starts with default signal dispositions: a suite launched in the background from a
script (SIGINT inherited as ignored) or under nohup (SIGHUP too) still tests Ctrl-C and hang-up
for real. Its descendants can be listed, so that tests check only processes they started.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

# `python -m manywheel`, after restoring what an interactive shell would give it: Ctrl-C raises
# KeyboardInterrupt, SIGHUP and SIGTERM have their default disposition (manywheel installs its own).
_ENTRY = (
    "import runpy, signal, sys; "
    "signal.signal(signal.SIGINT, signal.default_int_handler); "
    "signal.signal(signal.SIGHUP, signal.SIG_DFL); "
    "signal.signal(signal.SIGTERM, signal.SIG_DFL); "
    "sys.argv[0] = 'manywheel'; "
    "runpy.run_module('manywheel', run_name='__main__', alter_sys=True)"
)


def manywheel_argv(*args: str) -> list[str]:
    return [sys.executable, "-c", _ENTRY, *args]


def manywheel(
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 1500,
    cwd: Path | None = None,
    **more_env: str,
) -> subprocess.CompletedProcess[str]:
    """``manywheel ARGS`` in ``env`` (default: this process's environment) plus ``more_env``,
    stdin closed, output captured as text; the exit status is the caller's to check."""
    return subprocess.run(
        manywheel_argv(*args),
        env={**(os.environ if env is None else env), **more_env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
    )


def error_line(stderr: str) -> str:
    """The one ``manywheel: error: ...`` line of a failed run's stderr (never a traceback)."""
    assert "Traceback" not in stderr, stderr
    lines = [ln for ln in stderr.splitlines() if ln.startswith("manywheel: error:")]
    assert len(lines) == 1, stderr
    return lines[0]


def start_manywheel(*args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        manywheel_argv(*args),
        env=dict(os.environ if env is None else env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (zombies count as gone)."""
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(pid)
    return out


def command_lines() -> list[str]:
    """Every process's command line on this machine, as ``ps`` shows it (container processes
    included: they run on this kernel)."""
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                raw = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            lines.append(raw.replace(b"\0", b" ").decode(errors="replace"))
    return lines
