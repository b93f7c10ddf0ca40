"""PyPI's archive rules: ZIP framing and compression, the sdist's tar and its top directory."""

from __future__ import annotations

import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from manywheel.release.check import check_file
from manywheel.release.problems import Problem
from tests.distributions import TAG, make_sdist, make_wheel, record_line


def invalid(reason: str) -> Problem:
    return Problem("PyPI", f"Invalid distribution file. {reason}")


def framing(reason: str) -> Problem:
    return invalid(f"ZIP archive not accepted: {reason}.")


def test_data_descriptors(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, streamed=True)
    assert check_file(wheel).problems == (framing("ZIP contains a data descriptor"),)


def test_a_compression_method_other_than_stored_or_deflated(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, compression=zipfile.ZIP_BZIP2)
    assert check_file(wheel).problems == (
        invalid("File does not use a supported compression type"),
    )
    assert check_file(make_wheel(tmp_path, compression=zipfile.ZIP_STORED)).ok


def test_a_duplicate_member(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        wheel = make_wheel(tmp_path, extra=[("demo/__init__.py", b"from ._x import *\n")])
    assert framing("Duplicate filename in local headers") in check_file(wheel).problems


def test_data_before_the_first_member(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    wheel.write_bytes(b"#!/bin/sh\n" + wheel.read_bytes())
    assert check_file(wheel).problems == (framing("Unknown record signature"),)


def test_data_after_the_archive(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    wheel.write_bytes(wheel.read_bytes() + b"appended junk")
    assert framing("Trailing data") in check_file(wheel).problems


def test_a_comment_in_the_central_directory(tmp_path: Path) -> None:
    def add_comment(path: Path) -> None:
        with zipfile.ZipFile(path, "a") as zf:
            info = zipfile.ZipInfo("demo/notes.txt")
            info.comment = b"a member comment"
            zf.writestr(info, b"")

    wheel = make_wheel(tmp_path)
    add_comment(wheel)
    assert framing("Comment in central directory") in check_file(wheel).problems


def test_a_local_header_that_disagrees_with_the_central_directory(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    data = bytearray(wheel.read_bytes())
    (size,) = struct.unpack_from("<I", data, 18)  # the first local header's compressed size
    struct.pack_into("<I", data, 18, size + 1)
    wheel.write_bytes(bytes(data))
    assert check_file(wheel).problems == (framing("Mis-matched data size"),)


def test_a_name_that_is_not_utf8(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, extra=[("demo/QQ.txt", b"")])
    wheel.write_bytes(wheel.read_bytes().replace(b"demo/QQ.txt", b"demo/\xff\xfe.txt"))
    assert framing("Filename not unicode") in check_file(wheel).problems


def test_a_control_character_in_a_member_name(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, extra=[("demo/a\x01b.txt", b"")])
    assert framing("Invalid character in filename") in check_file(wheel).problems


def test_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / f"demo-1.0-{TAG}.whl"
    path.write_bytes(b"not a zip")
    assert check_file(path).problems == (invalid("File is not a zipfile"),)


def test_a_zip_bomb(tmp_path: Path) -> None:
    zeros = bytes(65 * 1024 * 1024)

    def add_zeros(members: dict[str, bytes]) -> None:
        record = members["demo-1.0.dist-info/RECORD"].decode()
        members["demo/zeros.bin"] = zeros
        members["demo-1.0.dist-info/RECORD"] = (
            record + record_line("demo/zeros.bin", zeros) + "\n"
        ).encode()

    wheel = make_wheel(tmp_path, edit=add_zeros)
    assert check_file(wheel).problems == (invalid("File exceeds compression ratio of 50"),)


def test_a_sparse_member_in_an_sdist(tmp_path: Path) -> None:
    holes = tarfile.TarInfo("demo-1.0/holes.bin")
    holes.type = tarfile.GNUTYPE_SPARSE
    sdist = make_sdist(tmp_path, special=[holes])
    assert check_file(sdist).problems == (
        invalid("tar archive not accepted: Sparse members are not allowed."),
    )


def test_an_sdist_with_two_top_directories(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, extra=[("other/setup.py", b"")])
    assert check_file(sdist).problems == (
        invalid("Incorrect number of top-level directories in sdist"),
    )


def test_an_sdist_without_pkg_info_at_its_top(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, top="demo-1.0/src", extra=[("demo-1.0/README", b"")])
    assert check_file(sdist).problems == (invalid("PKG-INFO not found at demo-1.0/PKG-INFO"),)


def test_an_sdist_that_is_not_gzipped(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path)
    plain = tmp_path / "plain.tar"
    with tarfile.open(sdist) as gz, tarfile.open(plain, "w") as tf:
        for member in gz.getmembers():
            tf.addfile(member, gz.extractfile(member))
    plain.replace(sdist)
    (problem,) = check_file(sdist).problems
    assert problem.message.startswith("Invalid distribution file. None (tarfile: ")


def test_an_sdist_that_is_also_a_zip(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path)
    wheel = make_wheel(tmp_path)
    sdist.write_bytes(sdist.read_bytes() + wheel.read_bytes())
    assert invalid("File is both a zip and a tar file") in check_file(sdist).problems


def test_a_link_out_of_the_sdist_is_manywheels_own_rule(tmp_path: Path) -> None:
    link = tarfile.TarInfo("demo-1.0/escape")
    link.type, link.linkname = tarfile.SYMTYPE, "../../etc/passwd"
    sdist = make_sdist(tmp_path, special=[link], extra=[("demo-1.0/../../evil", b"")])
    assert set(check_file(sdist).problems) == {
        Problem("manywheel", "member demo-1.0/escape links outside the top directory demo-1.0/"),
        Problem("manywheel", "member demo-1.0/../../evil escapes the archive (..)"),
    }


def test_an_sdist_that_is_not_a_tar(tmp_path: Path) -> None:
    sdist = tmp_path / "demo-1.0.tar.gz"
    sdist.write_bytes(b"not a tar")
    assert check_file(sdist).problems == (invalid("File is not a tarfile"),)


def test_a_license_file_missing_from_the_sdist(tmp_path: Path) -> None:
    pkg_info = "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-File: LICENSE\n"
    assert check_file(make_sdist(tmp_path, pkg_info=pkg_info)).problems == (
        Problem(
            "PyPI",
            "License-File LICENSE does not exist in distribution file demo-1.0.tar.gz at "
            "demo-1.0/LICENSE",
        ),
    )
    sdist = make_sdist(tmp_path, pkg_info=pkg_info, extra=[("demo-1.0/LICENSE", b"MIT\n")])
    assert check_file(sdist).ok
