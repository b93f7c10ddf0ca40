"""The in-container command runner (backends/runner.py) for real, run here with the host's
Python as a container runs it with the image's (its text sent on stdin, as there): output,
exit statuses, the environment, what a command that cannot start says, commands side by side,
and that the end of its input stops the running commands. (The container tests run every job
command through it.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path, PurePosixPath

import pytest

from manywheel.backends.runner import SCRIPT, LogLines, Runner, RunnerGone, bootstrap, find_python

pytestmark = pytest.mark.integration


def start() -> Runner:
    """A runner started as a container executor starts one: its text on its stdin."""
    script = SCRIPT.read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-c", bootstrap(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    return Runner(proc, script)


@pytest.fixture
def runner() -> Runner:
    started = start()
    assert started.ready()
    yield started
    started.stop()
    assert started.proc.returncode == 0


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


def test_commands_side_by_side(runner: Runner, tmp_path: Path) -> None:
    """Commands from several threads at once, each with its own output and status; a slow one
    does not hold up the others."""
    gate = tmp_path / "gate"
    results: dict[int, tuple[int, str]] = {}

    def one(n: int) -> None:
        script = f'while [ ! -e {gate} ]; do sleep 0.01; done; echo "{n}:$N"; exit {n}'
        script = script if n == 0 else f'echo "{n}:$N"; exit {n}'
        results[n] = run(runner, ["sh", "-c", script], N=f"env-{n}")

    threads = [threading.Thread(target=one, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads[1:]:
        thread.join(timeout=20)  # while the first still waits for the gate
    assert {n: results.get(n) for n in range(1, 6)} == {
        n: (n, f"{n}:env-{n}\n") for n in range(1, 6)
    }
    assert 0 not in results
    gate.touch()
    threads[0].join(timeout=20)
    assert results[0] == (0, "0:env-0\n")


def test_killed_by_a_signal_is_128_plus_n(runner: Runner) -> None:
    assert run(runner, ["sh", "-c", "kill -TERM $$"])[0] == 128 + signal.SIGTERM


def test_end_of_input_stops_the_running_commands(tmp_path: Path) -> None:
    runner = start()
    assert runner.ready()
    pidfiles = [tmp_path / "pid1", tmp_path / "pid2"]
    gone: list[type[BaseException]] = []

    def waits(pidfile: Path) -> None:
        script = f"sleep 60 & echo $! > {pidfile}; echo started; wait"
        try:
            run(runner, ["sh", "-c", script])
        except RunnerGone:
            gone.append(RunnerGone)

    threads = [threading.Thread(target=waits, args=(p,)) for p in pidfiles]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while not all(p.exists() and p.read_text().strip() for p in pidfiles):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    sleepers = [int(p.read_text()) for p in pidfiles]
    runner.stop()  # the host goes away (a cancel kills the exec client: the same for it)
    assert runner.proc.returncode == 0
    for thread in threads:
        thread.join(timeout=10)
    assert gone == [RunnerGone, RunnerGone]  # each command's caller hears of it
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in sleepers):
        assert time.monotonic() < deadline, "a command's process group outlived the runner"
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


def test_a_commands_input(runner: Runner, tmp_path: Path) -> None:
    """A file's bytes (NULs and newlines too, 3 MB) as a command's input; a command that
    reads none of it ends all the same; without input it reads nothing."""
    data = bytes(range(256)) * 12_000 + b"\n\0end"
    target = tmp_path / "deep" / "file.whl"
    script = 'mkdir -p "$(dirname "$1")" && cat > "$1"'
    out: list[bytes] = []
    code = runner.run(["sh", "-c", script, "sh", str(target)], None, {}, out.append, stdin=data)
    assert (code, out) == (0, [])
    assert target.read_bytes() == data
    assert runner.run(["true"], None, {}, out.append, stdin=data) == 0
    assert run(runner, ["sh", "-c", "wc -c"]) == (0, "0\n")


def test_as_a_first_process_it_finds_a_python_and_leaves_pwd_and_hostname_out(
    tmp_path: Path,
) -> None:
    """The runner a container starts with (find_python): its commands get no PWD (the
    shell's) and no HOSTNAME (the container's random ID), as an exec's would."""
    script = SCRIPT.read_bytes()
    argv = find_python(script, then="exit 0")
    bin_dir = tmp_path / "bin"  # python3 itself (pyenv's shim is a shell, which sets PWD)
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(os.path.realpath(sys.executable))
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "PWD": str(tmp_path), "HOSTNAME": "a0abe68e4922"}
    proc = subprocess.Popen(
        ["/bin/sh", *argv[1:]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    started = Runner(proc, script)
    assert started.ready()
    code, out = run(started, ["env"])
    started.stop()
    assert code == 0
    names = {line.partition("=")[0] for line in out.splitlines()}
    assert "PATH" in names
    assert not names & {"PWD", "HOSTNAME"}


def test_as_a_first_process_without_a_python_it_says_so(tmp_path: Path) -> None:
    """An image without a Python: a no-Python frame, then ``then`` runs (a container's
    first process sleeps on; its commands are execs)."""
    if list(Path("/").glob("opt/python/cp3*/bin/python3")):
        pytest.skip("this host has /opt/python: the runner would find one")
    script = SCRIPT.read_bytes()
    empty = tmp_path / "bin"
    empty.mkdir()
    proc = subprocess.Popen(
        ["/bin/sh", *find_python(script, then="exit 7")[1:]],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={"PATH": str(empty)},
    )
    started = Runner(proc, script)
    assert not started.ready()
    assert started.no_python
    assert proc.wait(timeout=10) == 7
