"""Rust under --toolchain zig: maturin is asked for its own zig support, cargo links with the
zig cc wrapper; only for the host's arch (a cross build would need the target's std)."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from manywheel.toolchains.zig_rust import linker_variable, rust_zig_env


def test_linker_variable() -> None:
    assert linker_variable("x86_64") == "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER"
    assert linker_variable("armv7l") == "CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_LINKER"


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the host's arch is x86_64 here")
def test_the_host_arch_links_with_zig(tmp_path: Path) -> None:
    zig = tmp_path / "ziglang" / "zig"
    base = {"PATH": "/usr/bin", "MATURIN_PEP517_ARGS": "--features fast"}
    env = rust_zig_env(
        tmp_path / "zig", "x86_64", policy="manylinux_2_17", zig=str(zig), cc="/w/zig-cc", base=base
    )
    assert env == {
        "MATURIN_PEP517_ARGS": "--features fast --zig --compatibility manylinux_2_17",
        "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER": "/w/zig-cc",
        "PATH": f"{tmp_path / 'zig' / 'bin'}:/usr/bin",
    }
    assert (tmp_path / "zig" / "bin" / "zig").readlink() == zig
    other = rust_zig_env(
        tmp_path / "z2", "aarch64", policy="manylinux_2_17", zig=str(zig), cc="cc", base=base
    )
    assert other == {}
