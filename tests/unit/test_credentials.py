"""Which host variables build code does not get: publish credentials and CI identity tokens,
unless the user names them."""

from __future__ import annotations

import pytest

from manywheel.config.credentials import (
    is_credential,
    passed_on_purpose,
    withheld,
    without_credentials,
)
from manywheel.config.model import Options

CREDENTIALS = [
    "TWINE_USERNAME",
    "TWINE_PASSWORD",
    "TWINE_REPOSITORY_URL",
    "UV_PUBLISH_TOKEN",
    "UV_PUBLISH_PASSWORD",
    "UV_PUBLISH_USERNAME",
    "PYPI_API_TOKEN",
    "MANYWHEEL_TOKEN",
    "MANYWHEEL_PASSWORD",
    "MANYWHEEL_USERNAME",
    "MANYWHEEL_REPOSITORY_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_RUNTIME_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "CI_JOB_TOKEN",
    "CI_JOB_JWT",
    "CI_JOB_JWT_V2",
    "CI_REPOSITORY_URL",
    "CI_REGISTRY_PASSWORD",
    "PYPI_ID_TOKEN",
    "TESTPYPI_ID_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
]
BUILD_SETTINGS = [
    "PATH",
    "HOME",
    "CFLAGS",
    "PIP_INDEX_URL",
    "UV_INDEX",
    "UV_INDEX_PRIVATE_PASSWORD",  # uv's login to an index: build dependencies come from it
    "UV_INDEX_PRIVATE_USERNAME",
    "SSL_CERT_FILE",
    "GITHUB_ACTIONS",
    "CI",
]


@pytest.mark.parametrize("name", CREDENTIALS)
def test_credentials(name: str) -> None:
    assert is_credential(name)


@pytest.mark.parametrize("name", BUILD_SETTINGS)
def test_build_settings(name: str) -> None:
    assert not is_credential(name)


def test_only_named_credentials_stay() -> None:
    environ = {"PATH": "/usr/bin", "TWINE_PASSWORD": "pw", "GITHUB_TOKEN": "ghp", "CI_JOB_JWT": ""}
    assert without_credentials(environ, ["GITHUB_TOKEN"]) == {
        "PATH": "/usr/bin",
        "GITHUB_TOKEN": "ghp",
    }
    assert withheld(environ, ["GITHUB_TOKEN"]) == ["TWINE_PASSWORD"]  # an empty one is no news


def test_named_on_purpose() -> None:
    options = Options(
        environment_pass=("PYPI_API_TOKEN",),
        environment=(("AUTH", "Bearer $GITHUB_TOKEN"),),
        test_environment=(("T", "${CI_JOB_TOKEN}"),),
    )
    assert passed_on_purpose(options, native=True) == {
        "PYPI_API_TOKEN",
        "GITHUB_TOKEN",
        "CI_JOB_TOKEN",
    }
    # in a container $NAME expands against the container's environment: only the pass counts
    assert passed_on_purpose(options, native=False) == {"PYPI_API_TOKEN"}


def test_named_in_a_parameter_expansion_too_but_not_when_escaped() -> None:
    options = Options(
        environment=(("AUTH", "Bearer ${GITHUB_TOKEN:-none}"), ("N", "${#UV_PUBLISH_TOKEN}")),
        test_environment=(("LITERAL", "\\$TWINE_PASSWORD \\${PYPI_API_TOKEN:-x}"),),
    )
    assert passed_on_purpose(options, native=True) == {"GITHUB_TOKEN", "UV_PUBLISH_TOKEN"}
