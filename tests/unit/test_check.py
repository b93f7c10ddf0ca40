"""``manywheel check`` on wheels and sdists written by hand: what PyPI would reject."""

from __future__ import annotations

from pathlib import Path

import pytest

from manywheel.cli import main
from manywheel.release.check import check_file
from manywheel.release.pypi_platforms import pypi_accepts
from tests.distributions import SO, TAG, make_sdist, make_wheel, record_line, wheel_members


def test_a_good_wheel_passes(tmp_path: Path) -> None:
    verdict = check_file(make_wheel(tmp_path))
    assert verdict.ok, verdict.problems
    assert verdict.line() == f"demo-1.0-{TAG}.whl: ok"


def test_a_stale_record_names_record_and_the_member(tmp_path: Path) -> None:
    def change_the_library(members: dict[str, bytes]) -> None:
        members[SO] = b"\x7fELF patched after RECORD was written"

    verdict = check_file(make_wheel(tmp_path, edit=change_the_library))
    assert f"RECORD: hash of {SO} does not match" in verdict.problems
    assert any(p.startswith(f"RECORD: size of {SO} does not match") for p in verdict.problems)


def test_members_missing_from_record_and_records_of_missing_members(tmp_path: Path) -> None:
    def add_and_remove(members: dict[str, bytes]) -> None:
        members["demo/extra.py"] = b"x = 1\n"
        del members["demo/__init__.py"]

    verdict = check_file(make_wheel(tmp_path, edit=add_and_remove))
    assert set(verdict.problems) == {
        "RECORD: demo/extra.py is not listed",
        "RECORD: lists demo/__init__.py, which is not in the wheel",
    }


def test_a_weak_or_missing_hash_is_refused(tmp_path: Path) -> None:
    def md5(members: dict[str, bytes]) -> None:
        record = members["demo-1.0.dist-info/RECORD"].decode()
        line = record_line("demo/__init__.py", members["demo/__init__.py"])
        members["demo-1.0.dist-info/RECORD"] = record.replace(
            line, "demo/__init__.py,md5=abc,18"
        ).encode()

    verdict = check_file(make_wheel(tmp_path, edit=md5))
    assert verdict.problems == ("RECORD: demo/__init__.py has no sha256 hash (found md5=abc)",)


def test_a_wheel_renamed_to_other_tags(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    renamed = wheel.rename(tmp_path / "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl")
    verdict = check_file(renamed)
    assert verdict.problems == (
        "WHEEL: tags cp311-cp311-manylinux_2_17_x86_64 do not match the file name's "
        "cp312-cp312-manylinux_2_17_x86_64",
    )


def test_compressed_tag_sets_match_their_expansion(tmp_path: Path) -> None:
    tags = ("cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64")
    wheel = make_wheel(
        tmp_path,
        tags=tags,
        filename=f"demo-1.0-cp311-cp311-{'.'.join(t.rsplit('-', 1)[1] for t in tags)}.whl",
    )
    assert check_file(wheel).ok


def test_a_path_escaping_member(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, extra=[("../evil.py", b"")])
    verdict = check_file(wheel)
    assert "member ../evil.py escapes the archive (..)" in verdict.problems
    assert "RECORD: ../evil.py is not listed" in verdict.problems


def test_an_absolute_member(tmp_path: Path) -> None:
    verdict = check_file(make_wheel(tmp_path, extra=[("/etc/evil.py", b"")]))
    assert "member /etc/evil.py is an absolute path" in verdict.problems


def test_a_duplicate_member(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        wheel = make_wheel(tmp_path, extra=[("demo/__init__.py", b"other content")])
    verdict = check_file(wheel)
    assert "member demo/__init__.py appears 2 times" in verdict.problems


def test_a_linux_tag_is_refused(tmp_path: Path) -> None:
    verdict = check_file(make_wheel(tmp_path, tags=("cp311-cp311-linux_x86_64",)))
    assert verdict.problems == (
        "platform tag linux_x86_64 is not accepted by PyPI (repair the wheel with auditwheel "
        "for a manylinux/musllinux tag)",
    )


@pytest.mark.parametrize(
    ("platform", "accepted"),
    [
        ("manylinux_2_17_x86_64", True),
        ("manylinux_2_28_aarch64", True),
        ("manylinux_2_39_riscv64", True),
        ("manylinux2014_ppc64le", True),
        ("manylinux1_i686", True),
        ("manylinux2010_x86_64", True),
        ("musllinux_1_2_x86_64", True),
        ("musllinux_1_2_armv7l", True),
        ("linux_armv7l", True),
        ("win_amd64", True),
        ("macosx_10_9_x86_64", True),
        ("macosx_11_0_arm64", True),
        ("ios_13_0_arm64_iphoneos", True),
        ("android_21_arm64_v8a", True),
        ("any", True),
        ("linux_x86_64", False),
        ("linux_aarch64", False),
        ("manylinux_2_17_sparc", False),
        ("musllinux_1_2_ppc64", False),
        ("manylinux2014_riscv64", False),
        ("macosx_11_3_arm64", False),
    ],
)
def test_platform_tags_pypi_accepts(platform: str, accepted: bool) -> None:
    assert pypi_accepts(platform) is accepted


def test_metadata_must_parse_and_match_the_file_name(tmp_path: Path) -> None:
    members = wheel_members()
    members["demo-1.0.dist-info/METADATA"] = (
        b"Metadata-Version: 2.1\nName: other\nVersion: 1.0\nRequires-Python: >=3.x\n"
    )
    verdict = check_file(make_wheel(tmp_path, members=members))
    assert "METADATA: name other does not match the file name's demo" in verdict.problems
    assert any(
        p.startswith("METADATA: ") and "requires-python" in p.lower() for p in verdict.problems
    ), verdict.problems


def test_data_before_the_first_member(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    wheel.write_bytes(b"#!/bin/sh\n" + wheel.read_bytes())
    assert check_file(wheel).problems == ("10 bytes of other data before the first member",)


def test_license_file_in_old_metadata_is_left_out_as_twine_does(tmp_path: Path) -> None:
    """setuptools < 77 wrote it under Metadata-Version 2.1; twine never sends it to PyPI."""
    members = wheel_members()
    members["demo-1.0.dist-info/METADATA"] = (
        b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nLicense-File: LICENSE\n"
    )
    assert check_file(make_wheel(tmp_path, members=members)).ok

    members["demo-1.0.dist-info/METADATA"] = (
        b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nDynamic: version\nX-Thing: 1\n"
    )
    problems = set(check_file(make_wheel(tmp_path, members=members)).problems)
    assert problems == {
        "METADATA: dynamic introduced in metadata version 2.2, not 2.1",
        "METADATA: unrecognized or malformed field 'x-thing'",
    }


def test_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / f"demo-1.0-{TAG}.whl"
    path.write_bytes(b"not a zip")
    (problem,) = check_file(path).problems
    assert problem.startswith("not a readable zip archive")


def test_a_good_sdist_passes(tmp_path: Path) -> None:
    assert check_file(make_sdist(tmp_path)).ok


def test_sdist_name_must_match_pkg_info_and_stay_in_its_directory(tmp_path: Path) -> None:
    sdist = make_sdist(
        tmp_path,
        pkg_info_name="other",
        extra=[("outside.txt", b""), ("demo-1.0/../../evil", b"")],
    )
    verdict = check_file(sdist)
    assert set(verdict.problems) == {
        "PKG-INFO: name other does not match the file name's demo",
        "member outside.txt is outside the top directory demo-1.0/",
        "member demo-1.0/../../evil escapes the archive (..)",
    }


def test_cli_prints_one_line_per_file_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_wheel(tmp_path)
    bad = make_wheel(tmp_path, tags=("cp311-cp311-linux_x86_64",))
    sdist = make_sdist(tmp_path)
    assert main(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"{good.name}: ok" in out
    assert f"{sdist.name}: ok" in out
    assert any(line.startswith(f"{bad.name}: platform tag linux_x86_64") for line in out)
    assert out[-1] == "1 of 3 file(s) would be rejected by PyPI"

    assert main(["check", str(good), str(sdist)]) == 0


def test_cli_without_files_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(tmp_path)]) == 2
    assert "no wheels or sdists found" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "missing.whl")]) == 2


def test_publish_refuses_before_any_upload(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unit tests forbid subprocesses: reaching twine would fail this test loudly."""

    def stale(members: dict[str, bytes]) -> None:
        members[SO] = b"changed"

    make_wheel(tmp_path, edit=stale)
    code = main(["publish", str(tmp_path), "--repository-url", "http://127.0.0.1:9/"])
    err = capsys.readouterr().err
    assert code == 1
    assert "manywheel check found what PyPI would reject, nothing was uploaded" in err
    assert f"RECORD: hash of {SO} does not match" in err
