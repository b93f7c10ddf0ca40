"""The zig compiler wrapper's flag translation and failure notes (the real compiler runs in
tests/integration/test_zig.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from manywheel.errors import ConfigError
from manywheel.toolchains.zig import refuse_musllinux
from manywheel.toolchains.zigcc import failure_note, translate

TARGET = "x86_64-linux-gnu.2.17"


@pytest.mark.parametrize(
    ("gcc", "zig"),
    [
        # Debian's and Ubuntu's CFLAGS/LDFLAGS
        (["-flto=auto", "-ffat-lto-objects", "-O2"], ["-O2"]),
        (["-Wl,-O1", "-Wl,-Bsymbolic-functions", "-Wl,-z,relro"], ["-Wl,-z,relro"]),
        (["-Wl,-O1,-Bsymbolic-functions,-z,relro"], ["-Wl,-z,relro"]),
        # Fedora's and RHEL's
        (
            ["-specs=/usr/lib/rpm/redhat/redhat-hardened-cc1", "-fcf-protection"],
            ["-fcf-protection"],
        ),
        (["-march=x86-64-v2", "-mtune=generic"], ["-march=x86_64_v2"]),
        (["-fstack-clash-protection", "-fno-semantic-interposition"], []),
        # projects' own
        (["-Wl,--exclude-libs,ALL", "-lm"], ["-lm"]),
        (["-Wl,--exclude-libs", "-Wl,ALL", "-Wl,--as-needed"], ["-Wl,--as-needed"]),
        (["-Wl,-Map=out.map,--icf=all,--gc-sections"], ["-Wl,--gc-sections"]),
        (["-flto=8", "-flto=jobserver", "-flto=thin", "-flto"], ["-flto=thin", "-flto"]),
        (["-fno-gnu-unique", "-fuse-linker-plugin", "-flto-partition=none"], []),
        # what zig takes as it is
        (["-march=native", "-fPIC", "-shared", "-Wl,-rpath,$ORIGIN"], None),
    ],
)
def test_translate(gcc: list[str], zig: list[str] | None) -> None:
    assert translate(gcc, TARGET) == (gcc if zig is None else zig)


def test_march_names_are_translated_on_x86_only() -> None:
    assert translate(["-march=armv8-a"], "aarch64-linux-gnu.2.17") == ["-march=armv8-a"]
    assert translate(["-march=skylake-avx512"], TARGET) == ["-march=skylake_avx512"]


def test_note_for_a_system_library() -> None:
    stderr = 'error: unable to find dynamic system library "ssl" using strategy paths_first.\n'
    assert failure_note(stderr * 2, TARGET) == (
        "manywheel: --toolchain zig cannot link the host's system library -lssl: zig links "
        "against glibc 2.17 and its own libc++ only. Build libssl from source as part of the "
        "project (a static, -fPIC library), or build in a manylinux container "
        "(--platform podman or docker) whose image provides it.\n"
    )


def test_note_for_a_host_header_only() -> None:
    host_header = next(
        (p for p in ("stdio.h", "zlib.h", "sys/types.h") if Path("/usr/include", p).is_file()),
        None,
    )
    if host_header is None:
        pytest.skip("this machine has no headers under /usr/include")
    stderr = f"x.c:1:10: fatal error: '{host_header}' file not found\n"
    note = failure_note(stderr, TARGET)
    assert note.startswith(
        f"manywheel: {host_header} is a header of the host (/usr/include/{host_header}); "
        "--toolchain zig does not use the host's headers and libraries"
    )
    assert "not glibc 2.17" in note
    # a header the project itself forgot is its own error: no note
    assert failure_note("x.c:1:10: fatal error: 'no/such/header.h' file not found\n", TARGET) == ""
    assert failure_note("x.c:3:1: error: expected ';'\n", TARGET) == ""


def test_musllinux_selection_is_refused_with_the_way_out() -> None:
    refuse_musllinux("cp3*-manylinux_x86_64 cp312-*")  # no musllinux named: fine
    with pytest.raises(ConfigError) as info:
        refuse_musllinux("cp312-manylinux_x86_64 *-musllinux_*", "MANYWHEEL_BUILD")
    message = str(info.value)
    assert message.startswith("MANYWHEEL_BUILD: '*-musllinux_*' selects musllinux wheels")
    assert "--platform podman or docker" in message
