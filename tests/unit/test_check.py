"""``manywheel check`` and ``publish`` from the command line, on files written by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from manywheel.cli import main
from tests.distributions import SO, make_sdist, make_wheel


def test_cli_prints_each_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_wheel(tmp_path)
    bad = make_wheel(tmp_path, tags=("cp311-cp311-linux_x86_64",))
    sdist = make_sdist(tmp_path)
    assert main(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"{good.name}: ok" in out
    assert f"{sdist.name}: ok" in out
    at = out.index(f"{bad.name}: PyPI would reject it")
    assert out[at + 1] == (
        f"  PyPI: Binary wheel '{bad.name}' has an unsupported platform tag 'linux_x86_64'."
    )
    assert out[-1] == "1 of 3 file(s) would be rejected by PyPI"

    assert main(["check", str(good), str(sdist)]) == 0


def test_cli_counts_broken_files_pypi_would_take(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def stale(members: dict[str, bytes]) -> None:
        members[SO] = b"changed"

    make_wheel(tmp_path, edit=stale)
    assert main(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "1 of 1 file(s) are broken in ways PyPI does not check"
    assert f"  manywheel: RECORD: hash of {SO} does not match" in out


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
    metadata = (
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
        "Requires-Dist: foo @ git+https://example.org/foo.git\n"
    )
    make_wheel(tmp_path, metadata=metadata)
    code = main(["publish", str(tmp_path), "--repository-url", "http://127.0.0.1:9/"])
    err = capsys.readouterr().err
    assert code == 1
    assert "manywheel check found what PyPI would reject, nothing was uploaded" in err
    assert "PyPI: Can't have direct dependency: foo @ git+https://example.org/foo.git." in err
