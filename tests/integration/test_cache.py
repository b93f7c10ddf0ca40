"""The build cache, for real: hits on an unchanged project, misses on every relevant change,
and parallel builds give the same wheels as serial ones."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.running import manywheel

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "spam"
SELECT = "cp311-* cp312-*"


def _build(project: Path, out: Path, env: dict[str, str], *extra: str) -> dict[str, dict]:
    report = out.parent / f"{out.name}-report.json"
    proc = manywheel(
        "build", str(project), "-o", str(out), "-q", "--report", str(report), *extra, env=env
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {job["identifier"]: job for job in json.loads(report.read_text())["jobs"]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "spam"
    shutil.copytree(EXAMPLE, dest)
    return dest


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "MANYWHEEL_CACHE_DIR": str(tmp_path / "cache"), "MANYWHEEL_BUILD": SELECT}


def test_cache_hits_and_invalidations(project: Path, env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "wheelhouse"
    first = _build(project, out, env)
    assert len(first) == 2
    assert not any(job["cached"] for job in first.values())

    again = _build(project, out, env)
    assert all(job["cached"] and job["tested"] for job in again.values())
    assert all("build" not in job["timings"] for job in again.values())
    for ident, job in again.items():
        assert job["sha256"] == first[ident]["sha256"]

    c_file = project / "src" / "spam" / "_spam.c"
    c_file.write_text(c_file.read_text() + "\n/* a change */\n")
    after_source = _build(project, out, env)
    assert not any(job["cached"] for job in after_source.values())

    after_option = _build(project, out, {**env, "MANYWHEEL_ENVIRONMENT": "CFLAGS=-O1"})
    assert not any(job["cached"] for job in after_option.values())

    # the host's own CFLAGS reach a native build (and its key), not only the option's
    after_host_flags = _build(project, out, {**env, "CFLAGS": "-O1"})
    assert not any(job["cached"] for job in after_host_flags.values())
    assert all(_build(project, out, {**env, "CFLAGS": "-O1"})[i]["cached"] for i in first)

    # a new test configuration reuses the wheel but runs the new test
    new_test = {
        **env,
        "MANYWHEEL_TEST_COMMAND": 'python -c "import spam; assert spam.add(1, 2) == 3"',
    }
    after_test = _build(project, out, new_test)
    for job in after_test.values():
        assert job["cached"]
        assert job["tested"]
        assert "test" in job["timings"]
        assert "build" not in job["timings"]

    no_cache = _build(project, out, env, "--no-cache")
    assert not any(job["cached"] for job in no_cache.values())


def test_corrupted_cache_entry_is_rebuilt(
    project: Path, env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "wheelhouse"
    _build(project, out, env)
    for wheel in (tmp_path / "cache").glob("*/*/*.whl"):
        wheel.write_bytes(b"corrupted")
    rebuilt = _build(project, out, env)
    assert not any(job["cached"] for job in rebuilt.values())
    for job in rebuilt.values():
        assert zipfile.is_zipfile(job["wheel"])


def _contents(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return sorted(zf.namelist())


def test_parallel_builds_equal_serial_builds(
    project: Path, env: dict[str, str], tmp_path: Path
) -> None:
    serial = _build(project, tmp_path / "serial", env, "--no-cache", "--jobs", "1")
    parallel = _build(project, tmp_path / "parallel", env, "--no-cache", "--jobs", "2")
    assert serial.keys() == parallel.keys()
    for ident in serial:
        a, b = Path(serial[ident]["wheel"]), Path(parallel[ident]["wheel"])
        assert a.name == b.name
        assert _contents(a) == _contents(b)
