"""Faults for real: crashing backends, a missing compiler, signals at every step, a killed
container, a full disk, two runs into one output dir. Nothing lost, nothing left behind."""

from __future__ import annotations

import random
import signal
import subprocess
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from tests.integration.containers import IMAGES, manywheel_containers, new_volumes
from tests.projects import make_c_project
from tests.robustness.helpers import Run, leftovers, tree_digest
from tests.running import alive, descendants

pytestmark = pytest.mark.integration


def test_build_backend_crash(tmp_path: Path) -> None:
    project = make_c_project(tmp_path)
    pyproject = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(
        pyproject.replace(
            'build-backend = "setuptools.build_meta"',
            'build-backend = "crashing_backend"\nbackend-path = ["."]',
        )
    )
    (project / "crashing_backend.py").write_text(
        textwrap.dedent("""\
        import os
        from setuptools.build_meta import *  # noqa
        def build_wheel(*args, **kwargs):
            print("backend: about to crash")
            os._exit(3)
        """)
    )
    run = Run(tmp_path)
    proc = run("build", str(project), "-o", str(run.out), "--only", "cp312-manylinux_x86_64")
    assert proc.returncode == 1
    assert "cp312-manylinux_x86_64 failed in step build" in proc.stdout
    assert "backend: about to crash" in proc.stdout
    assert leftovers(run) == []


def test_missing_compiler(tmp_path: Path) -> None:
    project = make_c_project(tmp_path)
    run = Run(tmp_path, MANYWHEEL_ENVIRONMENT="CC=/nonexistent/gcc")
    proc = run("build", str(project), "-o", str(run.out), "--only", "cp312-manylinux_x86_64")
    assert proc.returncode == 1
    assert "failed in step build" in proc.stdout
    assert "/nonexistent/gcc" in proc.stdout
    assert leftovers(run) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("step", ["before-all", "before-build", "build", "test"])
def test_signal_at_every_step(tmp_path: Path, step: str, sig: signal.Signals) -> None:
    hook = {"before-all": "before-all", "before-build": "before-build", "test": "test-command"}.get(
        step
    )
    config = f'{hook} = "echo reached-{step} && sleep 60"\n' if hook else ""
    project = make_c_project(tmp_path, manywheel_config=config)
    if step == "build":  # a slow compiler
        c = project / "demo.c"
        c.write_text(c.read_text() + "\n")
        config_env = {"MANYWHEEL_ENVIRONMENT": 'CC="sh -c \\"echo reached-build; sleep 60\\" cc"'}
    else:
        config_env = {}
    before = tree_digest(project)
    run = Run(tmp_path, **config_env)
    finished = run.out / "demo-0.0.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    run.out.mkdir()
    finished.write_bytes(b"a wheel from an earlier run")
    logs = tmp_path / "logs"
    run.env["MANYWHEEL_LOG_DIR"] = str(logs)
    proc = run.popen("build", str(project), "-o", str(run.out), "--only", "cp312-manylinux_x86_64")
    deadline = time.monotonic() + 120
    reached = f"reached-{step}"  # a line of its own: the command's output, once it runs (the
    # log names it before that, in the command line it writes first)
    while time.monotonic() < deadline:
        if any(reached in p.read_text(errors="replace").splitlines() for p in logs.rglob("*.log")):
            break
        time.sleep(0.2)  # polling the log: nothing to wait on
    else:
        proc.kill()
        pytest.fail(f"the build never reached {step}")
    started = descendants(proc.pid)  # the commands this run started (its `sleep 60`)
    assert started
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr
    assert "interrupted" in stderr
    assert tree_digest(project) == before
    assert finished.read_bytes() == b"a wheel from an earlier run"
    assert [p.name for p in run.out.iterdir()] == [finished.name]
    assert leftovers(run) == []
    assert alive(started) == set()


def test_container_killed_from_outside(tmp_path: Path) -> None:
    project = make_c_project(tmp_path, manywheel_config='before-build = "sleep 60"\n')
    run = Run(
        tmp_path, MANYWHEEL_PLATFORM="podman", MANYWHEEL_MANYLINUX_X86_64_IMAGE=IMAGES["x86_64"]
    )
    before = set(manywheel_containers("podman"))
    logs = tmp_path / "logs"
    run.env["MANYWHEEL_LOG_DIR"] = str(logs)
    proc = run.popen("build", str(project), "-o", str(run.out), "--only", "cp312-manylinux_x86_64")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(
        "before-build: $" in p.read_text(errors="replace") for p in logs.rglob("*.log")
    ):
        time.sleep(0.3)  # polling the log: nothing to wait on
    (name,) = set(manywheel_containers("podman")) - before
    subprocess.run(
        ["podman", "rm", "--force", "--time", "0", name], check=True, capture_output=True
    )
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stdout + stderr
    assert "Traceback" not in stderr
    assert "cp312-manylinux_x86_64 failed" in stdout
    assert set(manywheel_containers("podman")) <= before
    assert new_volumes("podman") == []  # its volumes, which that removal left, are removed
    assert leftovers(run) == []


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Path:
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_full_disk_for_the_output(tmp_path: Path, tiny_disk: Path) -> None:
    noise = random.Random(7).randbytes(65536)  # incompressible: the wheel stays large
    array = ",".join(str(b) for b in noise)
    project = make_c_project(tmp_path, extra_c=f"const unsigned char demo_noise[] = {{{array}}};\n")
    run = Run(tmp_path)
    proc = run("build", str(project), "-o", str(tiny_disk), "--only", "cp312-manylinux_x86_64")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "No space left on device" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert list(tiny_disk.iterdir()) == []  # no partial wheel
    assert leftovers(run) == []


def test_two_runs_into_one_output_dir(tmp_path: Path) -> None:
    first = make_c_project(tmp_path / "a", name="alpha")
    second = make_c_project(tmp_path / "b", name="beta")
    run = Run(tmp_path)
    procs = [run.popen("build", str(p), "-o", str(run.out)) for p in (first, second)]
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stdout + stderr
    wheels = sorted(run.out.glob("*.whl"))
    assert len(wheels) == 12
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as zf:
            assert zf.testzip() is None
    assert leftovers(run) == []
