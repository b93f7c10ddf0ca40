"""What must be inside a wheel: PyPI's .dist-info rules, then manywheel's RECORD and tags."""

from __future__ import annotations

from pathlib import Path

from manywheel.release.check import check_file
from manywheel.release.problems import Problem
from tests.distributions import SO, TAG, make_wheel, record_line, wheel_members

WHEEL = f"demo-1.0-{TAG}.whl"


def pypi(reason: str) -> Problem:
    return Problem("PyPI", reason)


def broken(reason: str) -> Problem:
    return Problem("manywheel", reason)


def test_a_good_wheel_passes(tmp_path: Path) -> None:
    verdict = check_file(make_wheel(tmp_path))
    assert verdict.ok, verdict.problems
    assert verdict.lines() == [f"{WHEEL}: ok"]


def test_dist_info_spelled_otherwise_than_the_file_name(tmp_path: Path) -> None:
    """PyPI looks for {name}-{version}.dist-info exactly as the file name spells them."""
    members = wheel_members(version="1.0.0")
    wheel = make_wheel(tmp_path, version="1.0.0", members=members, filename=WHEEL)
    assert check_file(wheel).problems == (
        pypi("Invalid distribution file. WHEEL not found at demo-1.0.dist-info/WHEEL"),
        pypi(
            f"Wheel '{WHEEL}' does not contain the required RECORD file: demo-1.0.dist-info/RECORD"
        ),
        pypi(
            f"Wheel '{WHEEL}' does not contain the required METADATA file: "
            "demo-1.0.dist-info/METADATA"
        ),
    )


def test_a_license_file_missing_from_the_wheel(tmp_path: Path) -> None:
    metadata = "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nLicense-File: LICENSE\n"
    assert check_file(make_wheel(tmp_path, metadata=metadata)).problems == (
        pypi(
            f"License-File LICENSE does not exist in distribution file {WHEEL} at "
            "demo-1.0.dist-info/licenses/LICENSE"
        ),
    )
    members = wheel_members()
    members["demo-1.0.dist-info/licenses/LICENSE"] = b"MIT\n"
    assert check_file(make_wheel(tmp_path, members=members, metadata=metadata)).ok


def test_entry_points_pypi_cannot_parse(tmp_path: Path) -> None:
    def with_entry_points(text: str) -> Path:
        members = wheel_members()
        members["demo-1.0.dist-info/entry_points.txt"] = text.encode()
        return make_wheel(tmp_path, members=members)

    assert check_file(with_entry_points("[console_scripts]\ndemo = demo:main\n")).ok
    prefix = f"Wheel '{WHEEL}' has invalid entry points defined in the entry_points.txt file"
    assert check_file(with_entry_points("[console_scripts]\n../demo = demo:main\n")).problems == (
        pypi(f"{prefix} (invalid entry point name '../demo' in 'console_scripts')"),
    )
    (problem,) = check_file(with_entry_points("demo = demo:main\n")).problems
    assert problem.message.startswith(f"{prefix} (not a valid INI file: File contains no section")


def test_a_record_that_is_not_utf8(tmp_path: Path) -> None:
    def latin1(members: dict[str, bytes]) -> None:
        members["demo-1.0.dist-info/RECORD"] += "caf\xe9.py,,\n".encode("latin-1")

    assert check_file(make_wheel(tmp_path, edit=latin1)).problems == (
        pypi(
            f"Wheel '{WHEEL}' does not contain the required RECORD file: demo-1.0.dist-info/RECORD"
        ),
        broken("RECORD: not UTF-8 text"),
    )


def test_a_stale_record_is_manywheels_own_rule(tmp_path: Path) -> None:
    """PyPI takes it (and mails the owners); installers may refuse it."""

    def change_the_library(members: dict[str, bytes]) -> None:
        members[SO] = b"\x7fELF patched after RECORD was written"

    verdict = check_file(make_wheel(tmp_path, edit=change_the_library))
    assert verdict.problems == (
        broken(f"RECORD: hash of {SO} does not match"),
        broken(f"RECORD: size of {SO} does not match (27 recorded, 37 in the wheel)"),
    )
    assert not verdict.refused_on_upload
    assert verdict.lines()[0] == f"{WHEEL}: broken (PyPI would take it; installers may not)"


def test_members_missing_from_record_and_records_of_missing_members(tmp_path: Path) -> None:
    def add_and_remove(members: dict[str, bytes]) -> None:
        members["demo/extra.py"] = b"x = 1\n"
        del members["demo/__init__.py"]

    assert set(check_file(make_wheel(tmp_path, edit=add_and_remove)).problems) == {
        broken("RECORD: demo/extra.py is not listed"),
        broken("RECORD: lists demo/__init__.py, which is not in the wheel"),
    }


def test_a_weak_hash(tmp_path: Path) -> None:
    def md5(members: dict[str, bytes]) -> None:
        record = members["demo-1.0.dist-info/RECORD"].decode()
        line = record_line("demo/__init__.py", members["demo/__init__.py"])
        members["demo-1.0.dist-info/RECORD"] = record.replace(
            line, "demo/__init__.py,md5=abc,18"
        ).encode()

    assert check_file(make_wheel(tmp_path, edit=md5)).problems == (
        broken("RECORD: demo/__init__.py has no sha256 hash (found md5=abc)"),
    )


def test_a_wheel_renamed_to_other_tags(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    renamed = wheel.rename(tmp_path / "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl")
    assert check_file(renamed).problems == (
        broken(
            "WHEEL: tags cp311-cp311-manylinux_2_17_x86_64 do not match the file name's "
            "cp312-cp312-manylinux_2_17_x86_64"
        ),
    )


def test_compressed_tag_sets_match_their_expansion(tmp_path: Path) -> None:
    tags = ("cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64")
    wheel = make_wheel(
        tmp_path,
        tags=tags,
        filename=f"demo-1.0-cp311-cp311-{'.'.join(t.rsplit('-', 1)[1] for t in tags)}.whl",
    )
    assert check_file(wheel).ok


def test_path_escaping_members(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, extra=[("../evil.py", b""), ("/etc/evil.py", b"")])
    problems = check_file(wheel).problems
    assert broken("member ../evil.py escapes the archive (..)") in problems
    assert broken("member /etc/evil.py is an absolute path") in problems


def test_a_wheel_without_metadata(tmp_path: Path) -> None:
    members = wheel_members()
    del members["demo-1.0.dist-info/METADATA"]
    problems = check_file(make_wheel(tmp_path, members=members)).problems
    assert (
        Problem("twine", f"No METADATA in archive or METADATA missing 'Metadata-Version': {WHEEL}")
        in problems
    )
