"""The libc floor of a wheel from its tags, and what manywheel says about it."""

from __future__ import annotations

from pathlib import Path

import pytest

from manywheel.diagnose import libc_floor
from manywheel.diagnose.libc_floor import (
    LibcFloor,
    host_statement,
    wheel_warning,
)
from manywheel.run.results import JobResult, add_floor_warnings

GLIBC_236 = LibcFloor("glibc", (2, 36))
ADVICE = "for wider reach use --toolchain zig or --platform podman"


@pytest.mark.parametrize(
    ("name", "floor"),
    [
        ("demo-1.0-cp312-cp312-manylinux_2_34_x86_64.whl", LibcFloor("glibc", (2, 34))),
        # several tags: it installs wherever the oldest one does
        (
            "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            LibcFloor("glibc", (2, 17)),
        ),
        ("demo-1.0-cp38-abi3-manylinux1_i686.whl", LibcFloor("glibc", (2, 5))),
        ("demo-1.0-cp312-cp312-musllinux_1_2_aarch64.whl", LibcFloor("musl", (1, 2))),
        ("demo-1.0-cp312-cp312-linux_x86_64.whl", None),
        ("demo-1.0-py3-none-any.whl", None),
        ("not a wheel.zip", None),
    ],
)
def test_wheel_floor(name: str, floor: LibcFloor | None) -> None:
    assert libc_floor.wheel_floor(name) == floor


def test_warning_names_the_glibc_and_whose_it_is() -> None:
    name = "psutil-7.2.2-cp36-abi3-manylinux_2_36_x86_64.whl"
    assert wheel_warning(name, GLIBC_236) == (
        f"{name} needs glibc 2.36 (this host's), newer than manylinux_2_28 (the default of "
        f"pypa's images), so it does not install on older systems; {ADVICE}"
    )
    older = "demo-1.0-cp312-cp312-manylinux_2_31_x86_64.whl"
    assert f"{older} needs glibc 2.31, newer than manylinux_2_28" in str(
        wheel_warning(older, GLIBC_236)
    )


def test_no_warning_at_or_below_the_default_floor() -> None:
    for tag in ("manylinux_2_28_x86_64", "manylinux2014_x86_64", "musllinux_1_2_x86_64"):
        assert wheel_warning(f"demo-1.0-cp312-cp312-{tag}.whl", GLIBC_236) is None


def test_musl_advice_has_no_zig() -> None:
    warning = wheel_warning(
        "demo-1.0-cp312-cp312-musllinux_1_3_x86_64.whl", LibcFloor("musl", (1, 3))
    )
    assert warning is not None
    assert "needs musl 1.3 (this host's), newer than musllinux_1_2" in warning
    assert warning.endswith("for wider reach use --platform podman")


def test_only_native_builds_with_the_host_compiler_are_flagged() -> None:
    def result() -> JobResult:
        wheel = Path("/out/demo-1.0-cp312-cp312-manylinux_2_36_x86_64.whl")
        return JobResult("cp312-manylinux_x86_64", status="success", wheel=wheel)

    native, zig, container, failed = result(), result(), result(), result()
    failed.status = "failed"
    add_floor_warnings([native, failed], GLIBC_236, native=True, toolchain="default")
    add_floor_warnings([zig], GLIBC_236, native=True, toolchain="zig")
    add_floor_warnings([container], GLIBC_236, native=False, toolchain="default")
    (warning,) = native.warnings
    assert "glibc 2.36 (this host's)" in warning
    assert zig.warnings == container.warnings == failed.warnings == []


def test_host_statement() -> None:
    assert host_statement(GLIBC_236, "default") == (
        "native builds link against this host's glibc 2.36: their wheels may need up to "
        "glibc 2.36 (manylinux_2_36) to install; for manylinux_2_28 wheels use "
        "--toolchain zig or --platform podman"
    )
    assert host_statement(LibcFloor("glibc", (2, 28)), "default").endswith(
        "(manylinux_2_28) to install"
    )
    assert "musllinux_1_2" in host_statement(LibcFloor("musl", (1, 2)), "default")
    assert host_statement(GLIBC_236, "zig", "manylinux_2_28") == (
        "native builds use zig: wheels target manylinux_2_28 (glibc 2.28), not the host's libc"
    )


def test_host_libc_reads_confstr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(libc_floor.os, "confstr", lambda name: "glibc 2.39")
    assert libc_floor.host_libc() == LibcFloor("glibc", (2, 39))
