"""Cross builds for real (#15): a C and a Cython extension compiled on this x86_64 host by zig
for aarch64, repaired here by auditwheel, and tested in the aarch64 test image under QEMU."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from manywheel.backends.engine import binfmt_registered
from tests.elf import elf_machines
from tests.integration.containers import IMAGES, image_env, manywheel_containers
from tests.integration.test_zig import adder_project, cython_project
from tests.projects import make_c_project
from tests.running import manywheel

pytestmark = pytest.mark.integration
ONLY = "cp311-manylinux_aarch64"  # the aarch64 test image has Debian's CPython 3.11
TEST_C = "python -c 'import demo; assert demo.answer() == 42'"


@pytest.fixture(autouse=True)
def _aarch64_image() -> None:
    if not binfmt_registered("aarch64"):
        pytest.skip("no QEMU binfmt handler for aarch64 is registered")
    found = subprocess.run(
        ["podman", "image", "exists", IMAGES["aarch64"]], capture_output=True, check=False
    )
    if found.returncode != 0:
        pytest.skip(f"the test image {IMAGES['aarch64']} is not built")


def build(project: Path, tmp_path: Path, platform: str) -> subprocess.CompletedProcess[str]:
    env = image_env(platform if platform != "native" else "podman", tmp_path)
    env["MANYWHEEL_PLATFORM"] = platform
    return manywheel(
        "build", str(project), "-o", str(tmp_path / "out"), "--toolchain", "zig",
        "--archs", "aarch64", "--only", ONLY, env=env,
    )  # fmt: skip


def test_c_and_cython_cross_compiled_and_tested_under_qemu(tmp_path: Path) -> None:
    c_dir, cy_dir = tmp_path / "c", tmp_path / "cython"
    cy_dir.mkdir()
    projects = {
        c_dir: make_c_project(c_dir, manywheel_config=f'test-command = "{TEST_C}"\n'),
        cy_dir: cython_project(cy_dir),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:  # two runs at once: QEMU is the wait
        procs = dict(zip(projects, pool.map(lambda d: build(projects[d], d, "podman"), projects)))
    for root, proc in procs.items():
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "(tested," in proc.stderr
        (wheel,) = (root / "out").glob("*.whl")
        tags = {str(t) for t in parse_wheel_filename(wheel.name)[3]}
        assert tags == {"cp311-cp311-manylinux2014_aarch64", "cp311-cp311-manylinux_2_17_aarch64"}
        machines = elf_machines(wheel, root / "unpacked")
        assert list(machines.values()) == ["AArch64"]
        assert all(n.endswith(".cpython-311-aarch64-linux-gnu.so") for n in machines)
        (log,) = (root / "logs").rglob(f"{ONLY}.log")
        text = log.read_text()
        # built on the host by zig for the target, tested by the image's own CPython
        assert "zig-cc" in text
        assert "linux_aarch64.whl" in text  # as built, before the repair
        # the image has no uv: the host's release for aarch64 is put in, and makes the venv
        assert "[manywheel] uv: uv " in text
        assert "(aarch64-unknown-linux-musl), put in" in text
        assert (
            "test: $ /tmp/manywheel-uv/uv venv --quiet --python /opt/python/cp311-cp311/bin/python"
            in text
        )
    assert manywheel_containers("podman") == []


def test_meson_python_and_scikit_build_core_cross_compiled(tmp_path: Path) -> None:
    """meson gets a cross file, CMake the zig wrappers as CC/CXX; both wheels pass under QEMU
    and their modules carry the target's SOABI."""
    roots = {backend: tmp_path / backend for backend in ("meson", "cmake")}
    projects = {backend: adder_project(root, backend) for backend, root in roots.items()}
    with ThreadPoolExecutor(max_workers=2) as pool:
        procs = dict(zip(roots, pool.map(lambda b: build(projects[b], roots[b], "podman"), roots)))
    for backend, proc in procs.items():
        root = roots[backend]
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "(tested," in proc.stderr
        (wheel,) = (root / "out").glob("*.whl")
        assert (
            wheel.name == "adder-1.0-cp311-cp311-manylinux2014_aarch64.manylinux_2_17_aarch64.whl"
        )
        assert elf_machines(wheel, root / "unpacked") == {
            "adder.cpython-311-aarch64-linux-gnu.so": "AArch64"
        }
        (log,) = (root / "logs").rglob(f"{ONLY}.log")
        if backend == "meson":
            assert "Cross files : " in log.read_text()


def test_natively_the_wheel_is_built_and_its_test_skipped_with_a_note(tmp_path: Path) -> None:
    project = make_c_project(tmp_path, manywheel_config=f'test-command = "{TEST_C}"\n')
    proc = build(project, tmp_path, "native")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = (tmp_path / "out").glob("*.whl")
    assert wheel.name == "demo-0.1.0-cp311-cp311-manylinux2014_aarch64.manylinux_2_17_aarch64.whl"
    assert list(elf_machines(wheel, tmp_path / "unpacked").values()) == ["AArch64"]
    assert "(tested," not in proc.stderr
    (log,) = (tmp_path / "logs").rglob(f"{ONLY}.log")
    assert (
        "[manywheel] test skipped: the wheel is for aarch64, which this x86_64 machine cannot "
        "run without its image: build with --platform podman or docker to test it in the "
        f"target image under QEMU ({IMAGES['aarch64']})"
    ) in log.read_text()


def test_docker_cross_build_is_tested_in_the_target_image(tmp_path: Path) -> None:
    """The same C cross build with --platform docker: facts, sysroot and test through docker."""
    found = subprocess.run(
        ["docker", "image", "inspect", IMAGES["aarch64"]], capture_output=True, check=False
    )
    if found.returncode != 0:
        pytest.skip(f"the test image {IMAGES['aarch64']} is not in docker")
    project = make_c_project(tmp_path, manywheel_config=f'test-command = "{TEST_C}"\n')
    proc = build(project, tmp_path, "docker")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(tested," in proc.stderr
    (wheel,) = (tmp_path / "out").glob("*.whl")
    assert wheel.name == "demo-0.1.0-cp311-cp311-manylinux2014_aarch64.manylinux_2_17_aarch64.whl"
    assert list(elf_machines(wheel, tmp_path / "unpacked").values()) == ["AArch64"]
    (log,) = (tmp_path / "logs").rglob(f"{ONLY}.log")
    text = log.read_text()
    assert "zig-cc" in text
    assert (
        "test: $ /tmp/manywheel-uv/uv venv --quiet --python /opt/python/cp311-cp311/bin/python"
        in text
    )
    assert "system headers and libraries from " in text  # copied out through docker
    assert manywheel_containers("docker") == []
