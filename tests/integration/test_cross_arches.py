"""Cross builds for ppc64le, s390x and armv7l (#15): the C fixture compiled on this x86_64 host
by zig for each arch, repaired here by auditwheel, and tested in the arch's test image
(tests/images/build-cross-images.sh) under QEMU."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from manywheel.backends.engine import QEMU_NAMES, binfmt_registered
from tests.elf import elf_machines, extension_module, header_field, readelf
from tests.integration.containers import IMAGES, image_env, manywheel_containers
from tests.integration.test_zig import adder_project
from tests.projects import make_c_project
from tests.running import manywheel

pytestmark = pytest.mark.integration
# the wheel works, and the test ran on the target's CPU (QEMU's platform.machine())
TEST_COMMAND = (
    "python -c 'import demo, platform; assert demo.answer() == 42; "
    'print(\\"target machine:\\", platform.machine())\''
)
# arch -> readelf -h's Machine, its Data line, Debian's CPython 3.11 EXT_SUFFIX
EXPECTED = {
    "ppc64le": ("PowerPC64", "little endian", ".cpython-311-powerpc64le-linux-gnu.so"),
    "s390x": ("IBM S/390", "big endian", ".cpython-311-s390x-linux-gnu.so"),
    "armv7l": ("ARM", "little endian", ".cpython-311-arm-linux-gnueabihf.so"),
}


def require_image(arch: str) -> None:
    if not binfmt_registered(arch):
        pytest.skip(f"no QEMU binfmt handler for qemu-{QEMU_NAMES[arch]} is registered")
    found = subprocess.run(
        ["podman", "image", "exists", IMAGES[arch]], capture_output=True, check=False
    )
    if found.returncode != 0:
        pytest.skip(
            f"the test image {IMAGES[arch]} is not built (tests/images/build-cross-images.sh)"
        )


@pytest.mark.parametrize("arch", sorted(EXPECTED))
def test_c_extension_cross_compiled_and_tested_under_qemu(arch: str, tmp_path: Path) -> None:
    require_image(arch)
    only = f"cp311-manylinux_{arch}"  # the test images have Debian's CPython 3.11
    project = make_c_project(tmp_path, manywheel_config=f'test-command = "{TEST_COMMAND}"\n')
    proc = manywheel(
        "build", str(project), "-o", str(tmp_path / "out"), "--toolchain", "zig",
        "--archs", arch, "--only", only, env=image_env("podman", tmp_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(tested," in proc.stderr
    (wheel,) = (tmp_path / "out").glob("*.whl")
    tags = {str(t) for t in parse_wheel_filename(wheel.name)[3]}
    assert tags == {f"cp311-cp311-manylinux2014_{arch}", f"cp311-cp311-manylinux_2_17_{arch}"}
    machine, data, suffix = EXPECTED[arch]
    (module,) = elf_machines(wheel, tmp_path / "unpacked").items()
    assert module == (f"demo{suffix}", machine)
    header = readelf(extension_module(wheel, tmp_path / "unpacked"), "-h")
    assert data in header_field(header, "Data")
    log = next((tmp_path / "logs").rglob(f"{only}.log")).read_text()
    assert "zig-cc" in log  # built on the host by zig
    assert f"linux_{arch}.whl" in log  # as built, before the repair
    # tested by the image's own CPython, on the target's (emulated) CPU
    assert "venv --quiet --python /opt/python/cp311-cp311/bin/python" in log
    assert f"target machine: {arch}" in log
    assert manywheel_containers("podman") == []


def test_armv7l_wheel_uses_the_armhf_baseline(tmp_path: Path) -> None:
    """manylinux armv7l is Debian's and Ubuntu's armhf: hard-float calls, VFPv3 with 16 double
    registers, no NEON. zig's default arm CPU has NEON and 32 registers; the wheel must not."""
    require_image("armv7l")
    project = make_c_project(tmp_path, extra_c="double scale(double x) { return x * 1.5; }\n")
    proc = manywheel(
        "build", str(project), "-o", str(tmp_path / "out"), "--toolchain", "zig",
        "--platform", "native", "--archs", "armv7l", "--only", "cp311-manylinux_armv7l",
        env=image_env("podman", tmp_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = (tmp_path / "out").glob("*.whl")
    attributes = readelf(extension_module(wheel, tmp_path / "unpacked"), "-A")
    assert header_field(attributes, "Tag_CPU_arch") == "v7"
    assert header_field(attributes, "Tag_ABI_VFP_args") == "VFP registers"
    assert header_field(attributes, "Tag_FP_arch") == "VFPv3-D16"
    assert "Tag_Advanced_SIMD_arch" not in attributes


def test_meson_big_endian_and_cmake_32_bit(tmp_path: Path) -> None:
    """meson's cross file says s390x is big-endian; CMake (not in cross mode) gets the zig
    wrappers with armhf's CPU and the told interpreter's SOABI. Both wheels pass under QEMU."""
    builds = {"s390x": "meson", "armv7l": "cmake"}
    for arch in builds:
        require_image(arch)

    def build(arch: str) -> subprocess.CompletedProcess[str]:
        root = tmp_path / arch
        project = adder_project(root, builds[arch])
        return manywheel(
            "build", str(project), "-o", str(root / "out"), "--toolchain", "zig",
            "--archs", arch, "--only", f"cp311-manylinux_{arch}", env=image_env("podman", root),
        )  # fmt: skip

    with ThreadPoolExecutor(max_workers=2) as pool:  # QEMU is the wait: both at once
        procs = dict(zip(builds, pool.map(build, builds)))
    for arch, proc in procs.items():
        root = tmp_path / arch
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "(tested," in proc.stderr
        (wheel,) = (root / "out").glob("*.whl")
        assert wheel.name == f"adder-1.0-cp311-cp311-manylinux2014_{arch}.manylinux_2_17_{arch}.whl"
        machine, _, suffix = EXPECTED[arch]
        assert elf_machines(wheel, root / "unpacked") == {f"adder{suffix}": machine}
    log = next((tmp_path / "s390x" / "logs").rglob("cp311-manylinux_s390x.log")).read_text()
    assert "Cross files : " in log
    assert "Host machine cpu family: s390x" in log
    armv7l = next((tmp_path / "armv7l" / "out").glob("*.whl"))
    assert "VFPv3-D16" in readelf(extension_module(armv7l, tmp_path / "unpacked"), "-A")
