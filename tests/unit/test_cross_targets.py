"""What each foreign arch is, to zig, meson and the container engine (the real builds run in
tests/integration/test_cross.py and test_cross_arches.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from manywheel.backends.engine import OCI_PLATFORMS, QEMU_NAMES, needs_emulation
from manywheel.errors import ConfigError
from manywheel.toolchains.crossfiles import meson_cross_file
from manywheel.toolchains.zig import write_wrappers, zig_target


@pytest.mark.parametrize(
    ("arch", "target"),
    [
        ("aarch64", "aarch64-linux-gnu.2.17"),
        # zig's oldest ppc64le headers; the symbols stay GLIBC_2.17 (auditwheel checks)
        ("ppc64le", "powerpc64le-linux-gnu.2.19"),
        ("s390x", "s390x-linux-gnu.2.17"),
        ("armv7l", "arm-linux-gnueabihf.2.17"),  # manylinux armv7l is hard-float
    ],
)
def test_zig_target_per_arch(arch: str, target: str) -> None:
    assert zig_target(arch, "2.17") == target


def test_a_newer_policy_than_zigs_floor_is_kept() -> None:
    assert zig_target("ppc64le", "2.28") == "powerpc64le-linux-gnu.2.28"
    assert zig_target("ppc64le", "2.9") == "powerpc64le-linux-gnu.2.19"


def test_an_arch_zig_cannot_target_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="cannot target sparc64"):
        zig_target("sparc64", "2.17")


def test_armv7l_wrappers_pin_the_armhf_cpu_and_others_keep_zigs_default(tmp_path: Path) -> None:
    write_wrappers(tmp_path / "arm", "armv7l", "2.17")
    write_wrappers(tmp_path / "ppc", "ppc64le", "2.17")
    arm_cc = (tmp_path / "arm" / "zig-cc").read_text()
    assert "'-target', 'arm-linux-gnueabihf.2.17', '-mcpu=generic+v7a+vfp3d16+thumb2-neon-d32'" in (
        arm_cc
    )
    assert "-mcpu" in (tmp_path / "arm" / "zig-c++").read_text()
    ppc_cc = (tmp_path / "ppc" / "zig-cc").read_text()
    assert "'powerpc64le-linux-gnu.2.19'" in ppc_cc
    assert "-mcpu" not in ppc_cc


@pytest.mark.parametrize(
    ("arch", "family", "endian"),
    [
        ("aarch64", "aarch64", "little"),
        ("ppc64le", "ppc64", "little"),
        ("s390x", "s390x", "big"),
        ("armv7l", "arm", "little"),
    ],
)
def test_meson_cross_file_names_the_target_machine(arch: str, family: str, endian: str) -> None:
    env = {"CC": "/w/zig-cc", "CXX": "/w/zig-c++", "AR": "/w/zig-ar", "RANLIB": "/w/zig-ranlib"}
    text = meson_cross_file(env, arch)
    assert f"cpu_family = '{family}'\n" in text
    assert f"cpu = '{arch}'\n" in text
    assert f"endian = '{endian}'\n" in text
    assert "c = '/w/zig-cc'\n" in text


@pytest.mark.parametrize(
    ("arch", "platform", "qemu"),
    [
        ("ppc64le", "linux/ppc64le", "ppc64le"),
        ("s390x", "linux/s390x", "s390x"),
        ("armv7l", "linux/arm/v7", "arm"),
    ],
)
def test_engine_platform_and_qemu_handler(arch: str, platform: str, qemu: str) -> None:
    assert OCI_PLATFORMS[arch] == platform
    assert QEMU_NAMES[arch] == qemu
    assert needs_emulation("x86_64", arch)
