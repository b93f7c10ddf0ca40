"""A cross build's target sysroot (toolchains/sysroot.py): the archive the target image's
interpreter writes unpacked into one cache entry whose symlinks stay inside it; the -L dirs
given to zig only when it links; and the notes when the image lacks a library (at link time,
and at the repair) naming the library, the arch, the image and how to provide it. The real
copy, compile and graft run in tests/integration/test_cross_libraries.py."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from manywheel.toolchains.sysroot import Sysroot, missing_library_note, unpack
from manywheel.toolchains.zigcc import failure_note, zig_command
from tests.unit.archives import archive

IMAGE = "quay.io/pypa/manylinux2014_aarch64"
LIB = "/usr/lib/aarch64-linux-gnu"


def debian_arm64() -> bytes:
    manifest = {"lib_dirs": ["/usr/local/lib", LIB], "include_dirs": ["/usr/include"]}
    return archive(
        {
            f"root{LIB}/libz.so.1.2.13": b"\x7fELF...",
            "root/usr/include/zlib.h": b"#include <zconf.h>\n",
            "sysroot.json": json.dumps(manifest).encode(),
        },
        {f"root{LIB}/libz.so.1": "libz.so.1.2.13", f"root{LIB}/libz.so": "libz.so.1.2.13"},
    )


def test_the_sysroot_is_unpacked_whole_with_links_inside_it(tmp_path: Path) -> None:
    final = tmp_path / "cross" / "sha256-abc" / "sysroot-v1"
    sysroot = unpack(debian_arm64(), final, IMAGE)
    assert sysroot == Sysroot(final, IMAGE, ("/usr/local/lib", LIB), ("/usr/include",))
    assert sysroot.host_lib_dirs == [f"{final}/root/usr/local/lib", f"{final}/root{LIB}"]
    libz = Path(sysroot.host(LIB)) / "libz.so.1"
    assert libz.is_symlink()
    assert os.readlink(libz) == "libz.so.1.2.13"
    assert libz.read_bytes() == b"\x7fELF..."
    assert (final / "root/usr/local/lib").is_dir()  # empty in the image: zig would warn
    assert [p.name for p in final.parent.iterdir()] == ["sysroot-v1"]  # no temp dir left


def test_a_second_unpack_of_the_same_entry_keeps_the_first(tmp_path: Path) -> None:
    final = tmp_path / "sysroot-v1"
    unpack(debian_arm64(), final, IMAGE)
    assert unpack(debian_arm64(), final, IMAGE).lib_dirs == ("/usr/local/lib", LIB)
    assert [p.name for p in tmp_path.iterdir()] == ["sysroot-v1"]


def test_an_archive_without_its_manifest_leaves_no_entry(tmp_path: Path) -> None:
    final = tmp_path / "sysroot-v1"
    with pytest.raises(FileNotFoundError):
        unpack(archive({"root/usr/include/zlib.h": b""}, {}), final, IMAGE)
    assert list(tmp_path.iterdir()) == []


def test_the_target_library_dirs_come_last_and_only_when_linking() -> None:
    link = ["-L/sysroot/usr/lib/aarch64-linux-gnu"]
    target = "aarch64-linux-gnu.2.17"
    linked = zig_command(["zig", "cc"], target, ["-shared", "a.o", "-L/proj", "-lz"], link)
    assert linked == ["zig", "cc", "-shared", "a.o", "-L/proj", "-lz", *link]
    compiled = zig_command(["zig", "cc"], target, ["-c", "a.c", "-o", "a.o"], link)
    assert compiled == ["zig", "cc", "-c", "a.c", "-o", "a.o"]


def test_the_repair_note_names_library_arch_image_and_the_fixes(tmp_path: Path) -> None:
    sysroot = Sysroot(tmp_path, IMAGE, ("/usr/local/lib", "/usr/lib64"), ())
    note = missing_library_note("libgdbm.so.6", "aarch64", sysroot)
    assert note.startswith(
        f"manywheel: the wheel needs libgdbm.so.6, and the target image {IMAGE} has no "
        "aarch64 libgdbm.so.6 to graft into it"
    )
    assert "(/usr/local/lib, /usr/lib64)" in note
    assert f"build an image FROM {IMAGE} with the library's -dev package installed" in note
    assert "set the manylinux-aarch64-image option to it" in note
    assert "AUDITWHEEL_LD_LIBRARY_PATH" in note
    assert "\n" not in note  # one paragraph


def test_a_link_failure_in_a_cross_build_names_the_target_image() -> None:
    stderr = 'error: unable to find dynamic system library "gdbm" using strategy ...\n'
    note = failure_note(stderr, "aarch64-linux-gnu.2.17", image=IMAGE)
    assert note.startswith(f"manywheel: libgdbm (-lgdbm) is not in the target image {IMAGE}:")
    assert "named in the manylinux-aarch64-image option" in note
    header = failure_note(
        "x.c:1:10: fatal error: 'gdbm.h' file not found\n", "x86-linux-gnu.2.17", image=IMAGE
    )
    assert header.startswith(f"manywheel: gdbm.h is not in the target image {IMAGE}:")
    assert "manylinux-i686-image" in header
