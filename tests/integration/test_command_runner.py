"""The in-container command runner (backends/runner.py) for real, run here with the host's
Python as a container runs it with the image's: output, exit statuses, the environment, what
a command that cannot start says, and that the end of its input stops a running command.
(The container tests run every job command through it.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath

import pytest

from manywheel.backends.runner import SCRIPT, LogLines, Runner, RunnerGone

pytestmark = pytest.mark.integration


@pytest.fixture
def runner() -> Runner:
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    started = Runner(proc)
    assert started.ready()
    yield started
    started.stop()
    assert proc.returncode == 0


def run(runner: Runner, argv: list[str], cwd: str | None = None, **env: str) -> tuple[int, str]:
    out: list[bytes] = []
    code = runner.run(argv, PurePosixPath(cwd) if cwd else None, env, out.append)
    return code, b"".join(out).decode()


def test_commands_one_after_another(runner: Runner, tmp_path: Path) -> None:
    script = 'echo "$GREETING from $(pwd)"; echo oops >&2; exit 3'
    assert run(runner, ["sh", "-c", script], str(tmp_path), GREETING="hello") == (
        3,
        f"hello from {tmp_path}\noops\n",
    )
    assert run(runner, ["true"]) == (0, "")  # the same runner, the next command
    assert run(runner, ["sh", "-c", "echo ${GREETING:-unset}"]) == (0, "unset\n")
    big = run(runner, [sys.executable, "-c", "print('x' * 200000)"])
    assert big == (0, "x" * 200000 + "\n")


def test_what_cannot_run_says_why(runner: Runner, tmp_path: Path) -> None:
    code, out = run(runner, ["no-such-tool-here", "--version"])
    assert (code, out) == (
        127,
        "manywheel: cannot run no-such-tool-here: No such file or directory\n",
    )
    code, out = run(runner, ["true"], str(tmp_path / "missing"))
    assert code == 127
    assert (
        out == f"manywheel: cannot run true: No such file or directory ({tmp_path / 'missing'})\n"
    )
    plain = tmp_path / "not-executable"
    plain.write_text("#!/bin/sh\n")
    assert run(runner, [str(plain)])[0] == 126


def test_a_background_process_holding_the_output_does_not_hold_the_command(
    runner: Runner, tmp_path: Path
) -> None:
    pidfile = tmp_path / "pid"
    start = time.monotonic()
    script = f"echo before; sleep 30 & echo $! > {pidfile}; echo after"
    assert run(runner, ["sh", "-c", script]) == (0, "before\nafter\n")
    assert time.monotonic() - start < 10  # not the 30 s of the sleep left behind
    assert run(runner, ["echo", "next"]) == (0, "next\n")
    os.kill(int(pidfile.read_text()), signal.SIGKILL)  # the test's own leftover


def test_killed_by_a_signal_is_128_plus_n(runner: Runner) -> None:
    assert run(runner, ["sh", "-c", "kill -TERM $$"])[0] == 128 + signal.SIGTERM


def test_end_of_input_stops_the_running_command(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    runner = Runner(proc)
    assert runner.ready()
    pidfile = tmp_path / "pid"
    script = f"sleep 60 & echo $! > {pidfile}; echo started; wait"
    assert proc.stdin is not None
    proc.stdin.write(f'{{"argv": ["sh", "-c", "{script}"], "cwd": null, "env": {{}}}}\n'.encode())
    proc.stdin.flush()
    deadline = time.monotonic() + 10
    while not (pidfile.exists() and pidfile.read_text().strip()):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    sleeper = int(pidfile.read_text())
    runner.stop()  # the host goes away (a cancel kills the exec client: the same for it)
    assert proc.returncode == 0
    deadline = time.monotonic() + 10
    while _alive(sleeper):
        assert time.monotonic() < deadline, "the command's process group outlived the runner"
        time.sleep(0.02)
    with pytest.raises(RunnerGone):
        runner.run(["true"], None, {}, print)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose (its parent, the shell, was killed too)
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"


def test_log_lines_mask_a_secret_split_across_chunks(tmp_path: Path) -> None:
    log = tmp_path / "log"
    with log.open("ab") as out:
        lines = LogLines(out, lambda text: text.replace("hunter2", "***"))
        for chunk in (b"token=hun", b"ter2\nnext ", b"line hunter", b"2"):
            lines(chunk)
        lines.close()
    assert log.read_text() == "token=***\nnext line ***"
