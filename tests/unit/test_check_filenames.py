"""PyPI's file-name rules: spelling, version, platform tags, PEP 625 sdists, length."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest

from manywheel.release.check import check_file
from manywheel.release.problems import Problem
from manywheel.release.pypi_platforms import pypi_accepts
from tests.distributions import TAG, make_sdist, make_wheel, wheel_members


def pypi(reason: str) -> Problem:
    return Problem("PyPI", reason)


def test_a_linux_tag_is_refused(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, tags=("cp311-cp311-linux_x86_64",))
    assert check_file(wheel).problems == (
        pypi(f"Binary wheel '{wheel.name}' has an unsupported platform tag 'linux_x86_64'."),
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
        ("macosx_26_0_arm64", True),
        ("ios_13_0_arm64_iphoneos", True),
        ("android_21_arm64_v8a", True),
        ("pyemscripten_2025_0_wasm32", True),
        ("any", True),
        ("linux_x86_64", False),
        ("linux_aarch64", False),
        ("manylinux_2_17_sparc", False),
        ("musllinux_1_2_ppc64", False),
        ("manylinux2014_riscv64", False),
        ("macosx_11_3_arm64", False),
        ("macosx_16_0_arm64", False),  # after 15 came 26: PyPI lists the majors
        ("ios_13_0_arm64e_iphoneos", False),
    ],
)
def test_platform_tags_pypi_accepts(platform: str, accepted: bool) -> None:
    assert pypi_accepts(platform) is accepted


def test_a_name_spelled_otherwise_than_normalised(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, name="Demo")
    assert check_file(wheel).problems == (
        pypi(
            f"Filename '{wheel.name}' should contain the normalized project name 'demo', "
            "not 'Demo'."
        ),
    )


def test_metadata_naming_another_project(tmp_path: Path) -> None:
    metadata = "Metadata-Version: 2.1\nName: other\nVersion: 1.0\n"
    assert check_file(make_wheel(tmp_path, metadata=metadata)).problems == (
        pypi("Start filename for 'other' with 'other'."),
    )


def test_metadata_with_another_version(tmp_path: Path) -> None:
    metadata = "Metadata-Version: 2.1\nName: demo\nVersion: 2.0\n"
    assert check_file(make_wheel(tmp_path, metadata=metadata)).problems == (
        pypi("Version in filename should be '2.0' not '1.0'."),
    )


def test_a_wheel_name_longer_than_pypi_can_store(tmp_path: Path) -> None:
    """PyPI keeps the wheel's METADATA as ``<file name>.metadata``: 246 bytes at most."""
    for length, ok in ((204, True), (205, False)):
        name = "d" * length
        wheel = make_wheel(tmp_path, name=name, members=wheel_members(name))
        assert len(wheel.name) == length + 42
        assert check_file(wheel).problems == (
            () if ok else (pypi(f"Filename is too long: '{wheel.name}'"),)
        )


def test_a_control_character_in_the_file_name(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, filename=f"demo-1.0-{TAG}\x7f.whl")
    assert (
        pypi(
            "Cannot upload a file with non-printable characters (ordinals 0-31) "
            "or the DEL character (ordinal 127) in the name."
        )
        in check_file(wheel).problems
    )


def test_a_good_sdist_passes(tmp_path: Path) -> None:
    assert check_file(make_sdist(tmp_path)).ok


@pytest.mark.parametrize(
    ("filename", "reason"),
    [
        ("Demo-1.0.tar.gz", "Filename 'Demo-1.0.tar.gz' is invalid, should be 'demo-1.0.tar.gz'."),
        ("demo-1.0.zip", "Filename 'demo-1.0.zip' is invalid, should be 'demo-1.0.tar.gz'."),
        (
            "demo-01.0.tar.gz",
            "Filename 'demo-01.0.tar.gz' is invalid, should be 'demo-1.0.tar.gz'.",
        ),
        ("other-1.0.tar.gz", "Start filename for 'demo' with 'demo'."),
        ("demo.tar.gz", "Invalid source distribution filename: demo.tar.gz"),
    ],
)
def test_pep_625_sdist_names(tmp_path: Path, filename: str, reason: str) -> None:
    sdist = make_sdist(tmp_path, filename=filename)
    if filename.endswith(".zip"):  # the same members, zipped
        sdist = _as_zip(sdist, tmp_path / filename)
    assert check_file(sdist).problems == (pypi(reason),)


def test_a_post_release_written_with_a_hyphen(tmp_path: Path) -> None:
    """``demo-1.0-1``: PyPI reads the name before the second-to-last hyphen."""
    pkg_info = "Metadata-Version: 2.1\nName: demo\nVersion: 1.0-1\n"
    sdist = make_sdist(tmp_path, filename="demo-1.0-1.tar.gz", pkg_info=pkg_info)
    assert check_file(sdist).problems == (
        pypi("Filename 'demo-1.0-1.tar.gz' is invalid, should be 'demo-1.0.post1.tar.gz'."),
    )


def _as_zip(sdist: Path, target: Path) -> Path:
    with tarfile.open(sdist) as tf, zipfile.ZipFile(target.with_suffix(".tmp"), "w") as zf:
        for member in tf.getmembers():
            fh = tf.extractfile(member)
            zf.writestr(member.name, fh.read() if fh else b"")
    sdist.unlink()
    return target.with_suffix(".tmp").rename(target)


def test_a_backslash_in_the_file_name(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, filename=f"demo-1.0-{TAG}\\.whl")
    assert pypi("Cannot upload a file with '/' or '\\' in the name.") in check_file(wheel).problems


def test_a_wheel_name_packaging_cannot_parse(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, filename="demo-1.0.whl")
    assert check_file(wheel).problems == (
        pypi("Invalid wheel filename (wrong number of parts): 'demo-1.0'"),
    )


def test_a_file_that_is_no_distribution(tmp_path: Path) -> None:
    egg = tmp_path / "demo-1.0-py3.11.egg"
    egg.write_bytes(b"")
    assert check_file(egg).problems == (
        Problem("twine", "Unknown distribution format: 'demo-1.0-py3.11.egg'"),
    )
