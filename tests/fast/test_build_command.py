"""`manywheel build` in process: what it prints, writes and returns around the scheduler."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from manywheel import api
from manywheel.cli import main
from manywheel.commands import build as build_command
from manywheel.errors import EnvironmentProblem, GroupNotStarted, ManywheelError
from manywheel.run.results import JobResult
from tests.fast.fakes import job, plan


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0.1.0"\n')
    return root


def fake_build(monkeypatch: pytest.MonkeyPatch, outcome: api.BuildOutcome) -> None:
    the_plan = plan(job("cp312-manylinux_x86_64"))
    monkeypatch.setattr(api, "make_build_plan", lambda *args: the_plan)
    monkeypatch.setattr(api, "build", lambda *args, **kwargs: outcome)


def test_a_failed_sdist_keeps_the_report_and_summary(
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_build(monkeypatch, api.BuildOutcome([JobResult("cp312-manylinux_x86_64", "success")], []))

    def broken_sdist(*args: object, **kwargs: object) -> Path:
        raise ManywheelError("building the sdist of demo failed (python -m build --sdist ...)")

    monkeypatch.setattr(build_command, "build_sdist", broken_sdist)
    report = tmp_path / "report.json"
    code = main(["build", str(project), "--sdist", "--report", str(report), "-o", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert json.loads(report.read_text())["jobs"][0]["status"] == "success"
    assert "manywheel summary" in out
    assert err.strip().endswith(
        "manywheel: error: building the sdist of demo failed (python -m build --sdist ...)"
    )


def test_group_start_errors_are_printed_once_each_with_their_exit_code(
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = EnvironmentProblem(
        "the image 'quay.io/x' is not present in podman and pulling failed"
    )
    error = GroupNotStarted(missing.message, exit_code=missing.exit_code)
    results = [JobResult("cp312-manylinux_x86_64", "not-started", error=error.message)]
    fake_build(monkeypatch, api.BuildOutcome(results, [], [error]))
    code = main(["build", str(project), "-o", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 4
    assert err.count("pulling failed") == 1
    assert "bug in manywheel" not in out + err
    assert "not-started" in out
