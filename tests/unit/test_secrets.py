"""Masking credentials in any text manywheel shows or saves."""

from __future__ import annotations

from manywheel.config.model import Options
from manywheel.config.secrets import Masker, mask_url
from manywheel.release.publish import check_consistent, credentials


def test_mask_url() -> None:
    assert (
        mask_url("https://user:p4ss@index.example/simple")
        == "https://user:****@index.example/simple"
    )
    assert mask_url("see http://h/x") == "see http://h/x"


def test_masker_from_environ() -> None:
    masker = Masker.from_environ(
        {"MANYWHEEL_PASSWORD": "hunter22", "PIP_INDEX_URL": "https://u:abc123@h/s", "HOME": "/root"}
    )
    text = masker.mask("password hunter22 and abc123 and https://u:abc123@h/s")
    assert "hunter22" not in text
    assert "abc123" not in text
    assert masker.mask("/root") == "/root"


def test_credentials_prefer_token() -> None:
    assert credentials({"MANYWHEEL_TOKEN": "pypi-x", "TWINE_USERNAME": "u"}) == {
        "TWINE_USERNAME": "__token__",
        "TWINE_PASSWORD": "pypi-x",
    }
    assert credentials({"TWINE_USERNAME": "u", "TWINE_PASSWORD": "p"}) == {
        "TWINE_USERNAME": "u",
        "TWINE_PASSWORD": "p",
    }


def test_consistent_release(tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = [
        tmp_path / "spam-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
        tmp_path / "spam-1.0.tar.gz",
    ]
    assert check_consistent(files) == ("spam", "1.0")


def test_index_credentials_forwarded_into_builds_are_masked() -> None:
    masker = Masker.from_environ(
        {
            "UV_INDEX": "private=https://reader:idx-pw-123@idx.example/simple",
            "UV_INDEX_PRIVATE_PASSWORD": "uv-idx-pw-456",
            "CI_JOB_JWT_V2": "eyJhbGciOi.jwt-body",
        }
    )
    text = masker.mask("idx-pw-123 uv-idx-pw-456 eyJhbGciOi.jwt-body")
    assert text == "**** **** ****"


def test_expanded_values_are_secret_by_their_name_or_their_source() -> None:
    options = Options(
        environment=(("GITHUB_TOKEN", "$GH_PAT"), ("AUTH", "Bearer $API_TOKEN")),
        test_environment=(("COPY", "$AUTH"),),
    )
    masker = Masker.for_job({}, options, {"GH_PAT": "ghp_pat0123", "API_TOKEN": "tok-4567"})
    assert masker.mask("ghp_pat0123 / Bearer tok-4567") == "**** / ****"
