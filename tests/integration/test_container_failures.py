"""Container builds that go wrong: nothing is left behind, nothing is lost, errors say the fix."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from manywheel.cli import main
from tests.integration.containers import (
    ENGINES,
    IMAGES,
    SESSION_LABEL,
    image_env,
    manywheel_containers,
    new_volumes,
    tree_digest,
)
from tests.running import error_line, manywheel, start_manywheel

pytestmark = [pytest.mark.integration, pytest.mark.container]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "spam"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "spam"
    shutil.copytree(EXAMPLE, dest)
    return dest


def _earlier_wheel(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    wheel = out / "spam-0.9-cp311-cp311-manylinux_2_17_x86_64.whl"
    wheel.write_bytes(b"an earlier release")
    return wheel


def _assert_nothing_left(engine: str, tmp_path: Path, out: Path) -> None:
    assert manywheel_containers(engine) == []
    assert new_volumes(engine) == []  # its volumes were removed after it
    assert list((tmp_path / "tmp").iterdir()) == []
    assert [
        p.name for p in out.iterdir() if p.name.endswith(".part") or p.name.startswith(".")
    ] == []


@pytest.mark.parametrize("engine", ENGINES)
def test_build_failure_leaves_nothing_behind(engine: str, project: Path, tmp_path: Path) -> None:
    c_file = project / "src" / "spam" / "_spam.c"
    c_file.write_text(
        c_file.read_text() + "\n#if PY_MINOR_VERSION == 12\n#error broken on 3.12\n#endif\n"
    )
    before = tree_digest(project)
    out = tmp_path / "wheelhouse"
    earlier = _earlier_wheel(out)
    env = image_env(
        engine, tmp_path, MANYWHEEL_BUILD="cp311-manylinux_x86_64 cp312-manylinux_x86_64"
    )
    proc = manywheel("build", str(project), "-o", str(out), env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "cp312-manylinux_x86_64 failed in step build" in proc.stdout
    assert "broken on 3.12" in proc.stdout  # the log tail is shown
    assert "full log: " in proc.stdout
    wheels = sorted(p.name for p in out.glob("*.whl"))
    assert earlier.read_bytes() == b"an earlier release"
    assert len(wheels) == 2
    assert any("cp311-cp311-manylinux" in w and not w.startswith("spam-0.9") for w in wheels)
    assert tree_digest(project) == before
    _assert_nothing_left(engine, tmp_path, out)


@pytest.mark.parametrize("engine", ENGINES)
def test_sigint_mid_build_removes_the_container(engine: str, project: Path, tmp_path: Path) -> None:
    before = tree_digest(project)
    out = tmp_path / "wheelhouse"
    earlier = _earlier_wheel(out)
    env = image_env(
        engine,
        tmp_path,
        MANYWHEEL_BUILD="cp312-manylinux_x86_64",
        MANYWHEEL_BEFORE_BUILD="sleep 120",
    )
    logs = Path(env["MANYWHEEL_LOG_DIR"])
    proc = start_manywheel("build", str(project), "-o", str(out), env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(
        "before-build: $" in p.read_text(errors="replace") for p in logs.rglob("*.log")
    ):
        time.sleep(0.5)  # polling the log: nothing to wait on
    assert manywheel_containers(engine), "the build never started a container"
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stdout + stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    assert earlier.read_bytes() == b"an earlier release"
    assert [p.name for p in out.glob("*.whl")] == [earlier.name]
    assert tree_digest(project) == before
    _assert_nothing_left(engine, tmp_path, out)


def test_missing_engine(project: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "empty-bin"  # a PATH with no container engine on it
    bin_dir.mkdir()
    env = image_env("podman", tmp_path, PATH=str(bin_dir))
    proc = manywheel("build", str(project), "-o", str(tmp_path / "out"), env=env)
    assert proc.returncode == 4
    line = error_line(proc.stderr)
    assert "podman is not installed (not found on PATH)" in line
    assert "apt-get install podman" in line


def test_stopped_docker_daemon(project: Path, tmp_path: Path) -> None:
    # A docker CLI whose daemon is not running: point it at a socket nobody listens on.
    env = image_env("docker", tmp_path, DOCKER_HOST=f"unix://{tmp_path}/no-daemon.sock")
    proc = manywheel("build", str(project), "-o", str(tmp_path / "out"), env=env)
    assert proc.returncode == 4
    line = error_line(proc.stderr)
    assert "the docker daemon does not answer" in line
    assert "dockerd" in line


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_image_cannot_be_pulled(engine: str, project: Path, tmp_path: Path) -> None:
    env = image_env(
        engine,
        tmp_path,
        MANYWHEEL_MANYLINUX_X86_64_IMAGE="localhost/manywheel-test/none:1",
        MANYWHEEL_BUILD="cp312-manylinux_x86_64",
    )
    proc = manywheel("build", str(project), "-o", str(tmp_path / "out"), env=env)
    assert proc.returncode == 4
    line = error_line(proc.stderr)
    assert "the image 'localhost/manywheel-test/none:1' is not present" in line
    assert "manylinux-x86_64-image" in line
    assert manywheel_containers(engine) == []


@pytest.mark.parametrize("kind", ["manylinux", "musllinux"])
def test_a_default_image_that_cannot_be_pulled_names_its_own_option(
    kind: str,
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The pypa images live in a registry this machine cannot reach: the default image's
    reference stands in for one (the plan lists no custom image's interpreters first, so the
    error comes from the container's start). The real podman fails to pull it."""
    absent = "localhost/manywheel-test/none:1"
    monkeypatch.setattr("manywheel.planning.image_table.pinned_reference", lambda *_: absent)
    for key, value in image_env("podman", tmp_path).items():
        monkeypatch.setenv(key, value)
    for arch in IMAGES:
        monkeypatch.delenv(f"MANYWHEEL_MANYLINUX_{arch.upper()}_IMAGE", raising=False)
    monkeypatch.setenv("MANYWHEEL_BUILD", f"cp312-{kind}_x86_64")
    code = main(["build", str(project), "-q", "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 4
    line = error_line(err)
    assert f"the image '{absent}' is not present in podman and pulling it failed" in line
    # the option that named the image, not both kinds' (a user sets one of them)
    other = "musllinux" if kind == "manylinux" else "manylinux"
    assert f"or point the {kind}-x86_64-image option at an image you have." in line
    assert f"{other}-x86_64-image" not in line
    assert manywheel_containers("podman") == []


@pytest.fixture
def aarch64_binfmt_disabled() -> object:
    handler = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")
    if not handler.exists() or os.geteuid() != 0:
        pytest.fail(
            "the qemu-aarch64 binfmt handler must be registered (scripts/setup-test-machine.sh)"
        )
    handler.write_text("0")
    try:
        yield
    finally:
        handler.write_text("1")


@pytest.mark.usefixtures("aarch64_binfmt_disabled")
def test_foreign_arch_without_binfmt(project: Path, tmp_path: Path) -> None:
    env = image_env("podman", tmp_path, MANYWHEEL_BUILD="cp311-manylinux_aarch64")
    proc = manywheel(
        "build", str(project), "-o", str(tmp_path / "out"), "--archs", "aarch64", env=env
    )
    assert proc.returncode == 4
    line = error_line(proc.stderr)
    assert "needs QEMU emulation" in line
    assert "qemu-user-static" in line


def test_auto_uses_a_working_engine_or_lists_what_it_tried(project: Path, tmp_path: Path) -> None:
    env = image_env("auto", tmp_path, MANYWHEEL_BUILD="cp312-manylinux_x86_64")
    out = tmp_path / "out"
    proc = manywheel("build", str(project), "-o", str(out), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "with --platform auto" in proc.stderr
    assert len(list(out.glob("*.whl"))) == 1
    bin_dir = tmp_path / "no-engines"
    bin_dir.mkdir()
    proc = manywheel("build", str(project), env={**env, "PATH": str(bin_dir)})
    assert proc.returncode == 4
    line = error_line(proc.stderr)
    assert "docker is not installed (not found on PATH)" in line
    assert "podman is not installed (not found on PATH)" in line
    assert "--platform native" in line


@pytest.mark.parametrize("engine", ENGINES)
def test_a_kept_container_still_runs_for_inspection(
    engine: str, project: Path, tmp_path: Path
) -> None:
    """--keep-container keeps a failed group's container running after the run (its first
    process is the command runner, which stays when its input ends), to be entered as the
    run says; removing it as the run says leaves nothing."""
    env = image_env(
        engine, tmp_path, MANYWHEEL_BUILD="cp312-manylinux_x86_64", MANYWHEEL_TEST_COMMAND="false"
    )
    out = tmp_path / "wheelhouse"
    proc = manywheel("build", str(project), "-o", str(out), "--keep-container", env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (name,) = manywheel_containers(engine)
    said = proc.stdout + proc.stderr
    assert f"kept container {name} for inspection" in " ".join(said.split())
    try:
        assert _clients_naming(engine, name) == []  # no client of the run stays behind
        entered = subprocess.run(
            [engine, "exec", name, "sh", "-c", "ls /tmp/manywheel"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert entered.returncode == 0, entered.stderr
        assert "cp312-manylinux_x86_64" in entered.stdout  # the failed job's work dir
    finally:
        subprocess.run([engine, "rm", "-f", name], capture_output=True, check=False)
        subprocess.run(
            [engine, "volume", "rm", f"{name}-project", f"{name}-work"],
            capture_output=True,
            check=False,
        )
    _assert_nothing_left(engine, tmp_path, out)


def _clients_naming(engine: str, name: str) -> list[str]:
    """The command lines of the engine's clients (``podman run``, ``podman exec``; not the
    engine's own monitor of the container) that name the container ``name``."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            words = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # ended meanwhile
        line = b" ".join(words).decode(errors="replace")
        if name in line and Path(words[0].decode(errors="replace")).name == engine:
            found.append(line)
    return found


@pytest.mark.parametrize("engine", ENGINES)
def test_a_container_that_cannot_start_says_what_the_engine_said(
    engine: str, project: Path, tmp_path: Path
) -> None:
    """The engine refuses the container (a bad create-arg): the run's error names the image
    and quotes the engine, exit 4, nothing left behind. The runner's start reads the engine's
    words from the client it attached to."""
    env = image_env(
        engine,
        tmp_path,
        MANYWHEEL_BUILD="cp312-manylinux_x86_64",
        MANYWHEEL_CONTAINER_ENGINE=(
            f"{engine}; create_args: --label {SESSION_LABEL} --ulimit nofile=bogus"
        ),
    )
    out = tmp_path / "wheelhouse"
    proc = manywheel("build", str(project), "-o", str(out), env=env)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    line = error_line(proc.stderr)
    assert f"{engine} could not start a container from '{IMAGES['x86_64']}' (" in line
    assert "nofile=bogus" in line  # the engine's own words
    assert "Check that the image runs" in line
    out.mkdir(exist_ok=True)
    _assert_nothing_left(engine, tmp_path, out)
