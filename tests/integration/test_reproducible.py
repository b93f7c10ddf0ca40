"""Reproducible wheels for real: two --no-cache builds of one commit give the same bytes,
natively and in a podman container; a wheel PyPI would reject never lands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from tests.integration.containers import ENGINES, image_env, manywheel_containers
from tests.projects import make_c_project
from tests.running import manywheel

pytestmark = pytest.mark.integration

SCHEMA = Path(__file__).resolve().parents[2] / "src" / "manywheel" / "schemas" / "report-v1.json"
COMMITTED = "2025-03-04T05:06:08+00:00"
COMMITTED_EPOCH = 1741064768
HOST = f"cp{sys.version_info[0]}{sys.version_info[1]}-manylinux_x86_64"


def _git_project(root: Path) -> Path:
    """A C project in a git repository whose only commit has a fixed date."""
    project = make_c_project(root, "repro")
    env = {**os.environ, "GIT_AUTHOR_DATE": COMMITTED, "GIT_COMMITTER_DATE": COMMITTED}
    for argv in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "one"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *argv],
            cwd=project,
            env=env,
            check=True,
        )
    return project


def _build_twice(project: Path, tmp_path: Path, env: dict[str, str], only: str) -> list[Path]:
    wheels = []
    for run in ("first", "second"):
        out = tmp_path / run
        proc = manywheel(
            *("build", str(project), "-o", str(out), "--no-cache", "-q", "--only", only),
            *("--report", str(tmp_path / f"{run}.json")),
            env=env,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        (wheel,) = out.glob("*.whl")
        wheels.append(wheel)
    return wheels


def _assert_reproducible(wheels: list[Path], report: Path) -> None:
    first, second = wheels
    assert first.name == second.name
    assert first.read_bytes() == second.read_bytes()
    document = json.loads(report.read_text(encoding="utf-8"))
    jsonschema.validate(document, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert document["source_date_epoch"] == COMMITTED_EPOCH
    assert document["source_date_epoch_from"] == "git"
    with zipfile.ZipFile(first) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2025, 3, 4, 5, 6, 8)}
        assert zf.infolist()[-1].filename.endswith(".dist-info/RECORD")


def test_native_rebuilds_are_byte_identical(tmp_path: Path) -> None:
    project = _git_project(tmp_path / "src")
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    wheels = _build_twice(project, tmp_path, env, HOST)
    _assert_reproducible(wheels, tmp_path / "second.json")


@pytest.mark.container
@pytest.mark.parametrize("engine", ENGINES)
def test_container_rebuilds_are_byte_identical(engine: str, tmp_path: Path) -> None:
    project = _git_project(tmp_path / "src")
    env = image_env(engine, tmp_path)
    env.pop("SOURCE_DATE_EPOCH", None)
    wheels = _build_twice(project, tmp_path, env, "cp311-manylinux_x86_64")
    _assert_reproducible(wheels, tmp_path / "second.json")
    assert manywheel_containers(engine) == []


def test_the_users_source_date_epoch_wins_and_is_part_of_the_cache_key(tmp_path: Path) -> None:
    project = _git_project(tmp_path / "src")
    documents, dates = [], []
    for run, epoch in (("a", "1600000000"), ("b", "1600000000"), ("c", "1700000000")):
        report = tmp_path / f"{run}.json"
        proc = manywheel(
            *("build", str(project), "-o", str(tmp_path / run), "-q", "--only", HOST),
            *("--report", str(report)),
            env={**os.environ, "SOURCE_DATE_EPOCH": epoch},
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        documents.append(json.loads(report.read_text(encoding="utf-8")))
        (wheel,) = (tmp_path / run).glob("*.whl")
        with zipfile.ZipFile(wheel) as zf:
            dates.append({i.date_time for i in zf.infolist()})
    assert [(d["source_date_epoch"], d["source_date_epoch_from"]) for d in documents] == [
        (1600000000, "environment"),
        (1600000000, "environment"),
        (1700000000, "environment"),
    ]
    # the same epoch is a cache hit; another epoch is another wheel, built afresh
    assert [d["jobs"][0]["cached"] for d in documents] == [False, True, False]
    assert dates == [{(2020, 9, 13, 12, 26, 40)}] * 2 + [{(2023, 11, 14, 22, 13, 20)}]


# a repair command that leaves a member out of RECORD, as a buggy post-processing step would
TAMPER = (
    'auditwheel repair -w {dest_dir} {wheel} && python -c "import glob, zipfile; '
    "zipfile.ZipFile(glob.glob('{dest_dir}/*.whl')[0], 'a').writestr('extra.txt', 'x')\""
)


def test_a_broken_wheel_fails_the_job_in_step_check(tmp_path: Path) -> None:
    project = make_c_project(tmp_path / "src", "tampered")
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    env = {**os.environ, "MANYWHEEL_REPAIR_WHEEL_COMMAND": TAMPER}
    proc = manywheel(
        *("build", str(project), "-o", str(out), "--only", HOST, "--report", str(report)),
        env=env,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    said = " ".join(proc.stdout.split())  # the summary wraps long lines
    assert "failed in step check" in said
    assert "is not a valid wheel, so it was not delivered: RECORD: extra.txt is not listed" in said
    assert "Traceback" not in proc.stdout + proc.stderr
    assert list(out.iterdir()) == []  # neither the wheel nor a partial file
    (job,) = json.loads(report.read_text(encoding="utf-8"))["jobs"]
    assert (job["status"], job["failed_step"], job["wheel"]) == ("failed", "check", None)
