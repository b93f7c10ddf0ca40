"""The JSON report validates against its schema; the step summary; doctor's verdicts, each
scenario made for real."""

from __future__ import annotations

import json
import os
import shutil
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from tests.projects import make_c_project
from tests.running import manywheel

pytestmark = pytest.mark.integration


def test_report_validates_and_step_summary_is_written(tmp_path: Path) -> None:
    project = make_c_project(
        tmp_path, extra_c="#if PY_MINOR_VERSION == 12\n#error no 3.12\n#endif\n"
    )
    report = tmp_path / "report.json"
    summary = tmp_path / "summary.md"
    summary.write_text("earlier steps\n")
    proc = manywheel(
        "build",
        str(project),
        "-o",
        str(tmp_path / "out"),
        "--report",
        str(report),
        env={
            **os.environ,
            "GITHUB_STEP_SUMMARY": str(summary),
            "MANYWHEEL_BUILD": "cp311-* cp312-*",
        },
    )
    assert proc.returncode == 1
    document = json.loads(report.read_text())
    schema = json.loads(resources.files("manywheel.schemas").joinpath("report-v1.json").read_text())
    jsonschema.validate(document, schema)
    jobs = {job["identifier"]: job for job in document["jobs"]}
    ok, failed = jobs["cp311-manylinux_x86_64"], jobs["cp312-manylinux_x86_64"]
    assert ok["status"] == "success"
    assert ok["policy"]
    assert all(p.startswith("manylinux") for p in ok["policy"])
    assert len(ok["sha256"]) == 64
    assert {"prepare", "build", "repair"} <= set(ok["timings"])
    assert failed["status"] == "failed"
    assert failed["failed_step"] == "build"
    assert Path(failed["log"]).is_file()
    text = summary.read_text()
    assert text.startswith("earlier steps\n### manywheel")
    assert "| cp312-manylinux_x86_64 | failed in build |" in text


def test_doctor_without_podman(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    proc = manywheel("doctor", "--json", env={**os.environ, "PATH": str(bin_dir)})
    checks = {c["name"]: c for c in json.loads(proc.stdout)}
    assert checks["podman"]["verdict"] == "warning"
    assert checks["podman"]["detail"] == "not installed"
    assert "apt-get install podman" in checks["podman"]["fix"]
    assert checks["docker"]["detail"] == "not installed"


def test_doctor_with_podman_on_crun(tmp_path: Path) -> None:
    if shutil.which("podman") is None:
        pytest.fail("podman must be installed (scripts/setup-test-machine.sh)")
    conf = tmp_path / "containers.conf"
    conf.write_text('[engine]\nruntime = "crun"\n')
    proc = manywheel("doctor", "--json", env={**os.environ, "CONTAINERS_CONF": str(conf)})
    assert proc.returncode == 1
    podman = next(c for c in json.loads(proc.stdout) if c["name"] == "podman")
    assert podman["verdict"] == "problem"
    assert "crun fails" in podman["detail"]
    assert 'runtime = "runc"' in podman["fix"]


def test_doctor_on_a_working_machine() -> None:
    proc = manywheel("doctor")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok       podman: works (runtime runc)" in proc.stdout
    assert "ok       docker: daemon" in proc.stdout
    assert "ok       interpreters: 6 for --platform native" in proc.stdout
    assert "ok       index:" in proc.stdout
