"""--debug-shell in a real terminal (tmux): a shell opens in the failed job's work dir, and
everything is cleaned up after it exits."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.containers import IMAGES, LABEL_ENV, manywheel_containers
from tests.projects import make_c_project
from tests.running import manywheel

pytestmark = pytest.mark.integration


def _screen(session: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=True
    ).stdout


def _wait_for(session: str, text: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = _screen(session)
        if text in screen:
            return screen
        time.sleep(0.5)
    raise AssertionError(f"{text!r} never appeared:\n{_screen(session)}")


@pytest.mark.parametrize("platform", ["native", "podman"])
def test_debug_shell_opens_in_the_failed_job(tmp_path: Path, platform: str) -> None:
    if shutil.which("tmux") is None:
        pytest.fail("tmux must be installed (scripts/setup-test-machine.sh)")
    project = make_c_project(tmp_path, extra_c="#error deliberately broken\n")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    session = f"mw-debug-{platform}"
    command = (
        f"cd {tmp_path} && TMPDIR={tmpdir} MANYWHEEL_MANYLINUX_X86_64_IMAGE={IMAGES['x86_64']} "
        f"MANYWHEEL_CONTAINER_ENGINE={shlex.quote(LABEL_ENV['MANYWHEEL_CONTAINER_ENGINE'])} "
        f"{sys.executable} -m manywheel build {project} -o {tmp_path / 'out'} "
        f"--only cp312-manylinux_x86_64 --platform {platform} --debug-shell; "
        f"echo manywheel-exited-$?; sleep 30"
    )
    subprocess.run(
        [
            "tmux",
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "200",
            "-y",
            "50",
            "bash",
            "-c",
            command,
        ],
        check=True,
    )
    try:
        _wait_for(session, "opening a shell in the failed job's work dir")
        time.sleep(1)
        subprocess.run(
            [
                "tmux",
                "send-keys",
                "-t",
                session,
                'ls; basename "$PWD"; echo marker-$((6 * 7))',
                "Enter",
            ],
            check=True,
        )
        # the shell computes the marker, so the typed command line alone does not match
        screen = _wait_for(session, "marker-42")
        # in the failed job's work dir: its name, and the project's copy in it
        assert re.search(r"^cp312-manylinux_x86_64-\S+\s*$", screen, re.MULTILINE), screen
        assert "src" in screen
        subprocess.run(["tmux", "send-keys", "-t", session, "exit", "Enter"], check=True)
        screen = _wait_for(session, "manywheel-exited-")
        assert "manywheel-exited-1" in screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
        # closing the terminal (SIGHUP) also makes manywheel clean up; give it a moment
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            list(tmpdir.iterdir()) or (platform == "podman" and manywheel_containers("podman"))
        ):
            time.sleep(0.5)
    assert list(tmpdir.iterdir()) == []
    if platform == "podman":
        assert manywheel_containers("podman") == []


def test_debug_shell_needs_a_terminal(tmp_path: Path) -> None:
    project = make_c_project(tmp_path)
    proc = manywheel("build", str(project), "--debug-shell")
    assert proc.returncode == 2
    assert "--debug-shell needs an interactive terminal" in proc.stderr
