"""A token given through the environment and through the config never shows up anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.projects import make_c_project
from tests.robustness.helpers import Run

pytestmark = pytest.mark.integration

ENV_TOKEN = "pypi-EnvTokenDoNotLeak0123456789"
CONFIG_TOKEN = "cfg-ConfigSecretDoNotLeak987654"


def everything_written(run: Run, stdout: str, stderr: str, logs: Path, report: Path) -> str:
    texts = [stdout, stderr, report.read_text() if report.exists() else ""]
    texts += [p.read_text(errors="replace") for p in logs.rglob("*") if p.is_file()]
    return "\n".join(texts)


@pytest.mark.parametrize("verbose", [False, True])
def test_tokens_never_appear(tmp_path: Path, verbose: bool) -> None:
    project = make_c_project(
        tmp_path,
        manywheel_config=f"""
        environment = {{ API_TOKEN = "{CONFIG_TOKEN}", INDEX = "https://user:$MANYWHEEL_TOKEN@example.invalid/simple" }}
        before-build = "echo before-build sees $API_TOKEN and $MANYWHEEL_TOKEN and $INDEX"
        test-command = "echo test sees $API_TOKEN; python -c 'import os, sys; sys.exit(os.environ[\\"API_TOKEN\\"])'"
    """,
    )
    logs = tmp_path / "logs"
    report = tmp_path / "report.json"
    run = Run(tmp_path, MANYWHEEL_TOKEN=ENV_TOKEN, MANYWHEEL_LOG_DIR=str(logs))
    args = [
        "build",
        str(project),
        "-o",
        str(run.out),
        "--only",
        "cp312-manylinux_x86_64",
        "--report",
        str(report),
    ]
    proc = run(*args, *(["-v"] if verbose else []))
    assert proc.returncode == 1  # the test fails, printing the token as its exit message
    written = everything_written(run, proc.stdout, proc.stderr, logs, report)
    assert "before-build sees ****" in written  # the hooks ran and their output was masked
    assert ENV_TOKEN not in written
    assert CONFIG_TOKEN not in written
    assert json.loads(report.read_text())["jobs"][0]["status"] == "failed"


def test_token_in_publish_errors(tmp_path: Path) -> None:
    run = Run(tmp_path, MANYWHEEL_TOKEN=ENV_TOKEN)
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "demo-0.1.0.tar.gz").write_bytes(b"broken")
    proc = run(
        "publish", str(dist), "-v", "--repository-url", f"http://__token__:{ENV_TOKEN}@127.0.0.1:9/"
    )
    assert proc.returncode != 0
    assert ENV_TOKEN not in proc.stdout + proc.stderr
