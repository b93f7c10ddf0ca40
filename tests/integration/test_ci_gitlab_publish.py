"""The publish job `ci gitlab --publish trusted` writes, run on real distributions.

`manywheel publish --dry-run` runs for real. The upload runs twine's own code in this
process, in the environment GitLab gives the job (GITLAB_CI and the ID token variable named
in `id_tokens`), so twine really finds the token and really exchanges it. PyPI's side
cannot run here (it trusts only tokens GitLab signed): a stand-in answers twine's three
requests - audience, token exchange, upload - and, like PyPI, accepts an ID token once.
"""

from __future__ import annotations

import base64
import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import requests
import yaml
from requests.adapters import HTTPAdapter
from twine.cli import dispatch
from twine.exceptions import TrustedPublishingFailure

from manywheel.ci import WorkflowOptions
from manywheel.ci.gitlab import pipeline
from tests.credentials import fake_jwt
from tests.running import manywheel

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "spam"
MINTED = "pypi-minted-upload-token"


class StandInIndex:
    """PyPI's trusted-publishing endpoints as twine uses them, and its upload endpoint."""

    def __init__(self) -> None:
        self.exchanged: list[str] = []
        self.uploaded: list[str] = []

    def answer(self, request: requests.PreparedRequest) -> requests.Response:
        path = urlparse(request.url).path
        if request.method == "GET" and path == "/_/oidc/audience":
            return self._json(request, 200, {"audience": "pypi"})
        if request.method == "POST" and path == "/_/oidc/mint-token":
            assert request.body is not None
            token = json.loads(request.body)["token"]
            if token in self.exchanged:  # PyPI keeps every token's id until it expires
                error = {"code": "invalid-reuse-token", "description": "token already used"}
                return self._json(request, 422, {"message": "failed", "errors": [error]})
            self.exchanged.append(token)
            return self._json(request, 200, {"success": True, "token": MINTED})
        assert request.method == "POST", f"unexpected request {request.method} {request.url}"
        expected = base64.b64encode(f"__token__:{MINTED}".encode()).decode()
        assert request.headers["Authorization"] == f"Basic {expected}"
        body = request.body.read() if hasattr(request.body, "read") else request.body
        assert isinstance(body, bytes)
        self.uploaded.append(body.split(b'filename="')[1].split(b'"')[0].decode())
        return self._json(request, 200, {})

    @staticmethod
    def _json(request: requests.PreparedRequest, status: int, data: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response.reason = "OK" if status == 200 else "Unprocessable"
        response._content = json.dumps(data).encode()
        response.headers["Content-Type"] = "application/json"
        response.url = str(request.url)
        response.request = request
        return response


@pytest.fixture(scope="module")
def job_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A publish job's directory: dist/ (sdist) and wheelhouse/ (wheels), as the artifacts."""
    root = tmp_path_factory.mktemp("job")
    project = tmp_path_factory.mktemp("src") / "spam"
    shutil.copytree(EXAMPLE, project)
    out = root / "wheelhouse"
    proc = manywheel(
        "build", str(project), "-o", str(out), "-q", "--sdist", "--only", "cp311-manylinux_x86_64"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (root / "dist").mkdir()
    for sdist in out.glob("*.tar.gz"):
        sdist.rename(root / "dist" / sdist.name)
    return root


@pytest.fixture
def gitlab_job(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> StandInIndex:
    """The environment of the generated publish job on GitLab, with the stand-in index."""
    job = yaml.safe_load(pipeline(WorkflowOptions(publish="trusted")))["publish"]
    ((variable, spec),) = job["id_tokens"].items()
    for name in list(os.environ):
        if name.startswith(("TWINE_", "MANYWHEEL_", "GITHUB_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.pypirc
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.setenv("GITLAB_CI", "true")
    monkeypatch.setenv(variable, fake_jwt({"aud": spec["aud"], "jti": "one"}))
    index = StandInIndex()
    monkeypatch.setattr(HTTPAdapter, "send", lambda _self, request, **_kw: index.answer(request))
    return index


def _script() -> list[str]:
    job = yaml.safe_load(pipeline(WorkflowOptions(publish="trusted")))["publish"]
    return list(job["script"])


def test_dry_run_line_checks_the_artifacts(job_dir: Path) -> None:
    check = _script()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "MANYWHEEL_"))}
    proc = subprocess.run(
        ["bash", "-e", "-c", f"{sys.executable} -m {check}"],
        cwd=job_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "would upload spam" in proc.stdout


def test_one_twine_process_exchanges_the_id_token_once_and_uploads_everything(
    job_dir: Path, gitlab_job: StandInIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload = _script()[2].split()
    assert upload[:3] == ["python", "-m", "twine"]
    monkeypatch.chdir(job_dir)
    files = [match for pattern in upload[5:] for match in sorted(glob.glob(pattern))]
    assert len(files) == 2  # the sdist and the wheel
    dispatch([*upload[3:5], *files])
    assert len(gitlab_job.exchanged) == 1
    assert sorted(gitlab_job.uploaded) == sorted(Path(f).name for f in files)


def test_a_second_exchange_of_the_same_id_token_fails_as_on_pypi(
    job_dir: Path, gitlab_job: StandInIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # why the job uploads in one twine process, not one per file
    monkeypatch.chdir(job_dir)
    sdist, wheel = sorted(glob.glob("dist/*")) + sorted(glob.glob("wheelhouse/*.whl"))
    dispatch(["upload", "--non-interactive", sdist])
    with pytest.raises(TrustedPublishingFailure, match="invalid-reuse-token"):
        dispatch(["upload", "--non-interactive", wheel])
