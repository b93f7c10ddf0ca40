"""The generated GitLab pipeline: trusted publishing through an ID token, or a token variable."""

from __future__ import annotations

from typing import Any

import id as oidc
import pytest
import yaml
from packaging.requirements import Requirement

from manywheel import __version__
from manywheel.ci import WorkflowOptions
from manywheel.ci.gitlab import pipeline
from tests.credentials import fake_jwt


def generate(publish: str) -> dict[str, Any]:
    options = WorkflowOptions(("x86_64", "aarch64"), 2, publish)  # type: ignore[arg-type]
    return dict(yaml.safe_load(pipeline(options)))


def test_trusted_publishing_asks_gitlab_for_an_id_token_for_pypi() -> None:
    publish = generate("trusted")["publish"]
    assert publish["id_tokens"] == {"PYPI_ID_TOKEN": {"aud": "pypi"}}
    assert publish["environment"] == "pypi"
    assert publish["rules"] == [{"if": "$CI_COMMIT_TAG =~ /^v/"}]
    assert "variables" not in publish  # no secret at all
    install, check, upload = publish["script"]
    assert '"twine>=6.1"' in install
    assert check == "manywheel publish --dry-run dist wheelhouse"
    # one twine process for every file: PyPI exchanges an ID token only once
    assert upload == "python -m twine upload --non-interactive dist/* wheelhouse/*.whl"


def test_twine_finds_the_id_token_the_pipeline_asks_for(monkeypatch: pytest.MonkeyPatch) -> None:
    # twine (>= 6.1) asks the index for its audience (PyPI answers "pypi" at /_/oidc/audience:
    # the one fact taken from PyPI here) and hands it to `id`, which reads the variable
    (name, spec) = next(iter(generate("trusted")["publish"]["id_tokens"].items()))
    for other_ci in ("GITHUB_ACTIONS", "GOOGLE_SERVICE_ACCOUNT_NAME", "BUILDKITE", "CIRCLECI"):
        monkeypatch.delenv(other_ci, raising=False)
    token = fake_jwt({"aud": spec["aud"], "iss": "https://gitlab.example"})
    monkeypatch.setenv("GITLAB_CI", "true")
    monkeypatch.setenv(name, token)
    assert oidc.detect_credential("pypi") == token


def test_token_publishing_reads_the_ci_variable() -> None:
    publish = generate("token")["publish"]
    assert publish["variables"] == {"MANYWHEEL_TOKEN": "$PYPI_API_TOKEN"}
    assert publish["script"][-1] == "manywheel publish dist wheelhouse"
    assert "id_tokens" not in publish


def test_no_publish_job_for_none() -> None:
    assert "publish" not in generate("none")


@pytest.mark.parametrize("publish", ["trusted", "token", "none"])
def test_jobs_install_the_manywheel_that_wrote_the_pipeline(publish: str) -> None:
    doc = generate(publish)
    jobs = {name: job for name, job in doc.items() if isinstance(job, dict) and "stage" in job}
    assert set(jobs) == ({"sdist", "wheels"} | ({"publish"} if publish != "none" else set()))
    for name, job in jobs.items():
        commands = [*job.get("before_script", []), *job["script"]]
        installs = [c for c in commands if " pip install " in c and "manywheel" in c]
        assert installs, f"job {name} runs manywheel without installing it"
        for command in installs:
            words = command.split(" pip install ", 1)[1].split()
            (requirement,) = [
                r for r in (Requirement(w.strip("'\"")) for w in words) if r.name == "manywheel"
            ]
            assert str(requirement.specifier) == f"=={__version__}", name
