"""What is forwarded into containers: CA bundle, pip/uv index settings, proxies, env-pass."""

from __future__ import annotations

from pathlib import Path

from manywheel.backends.forwarding import CA_IN_CONTAINER, forward_environment


def test_ca_bundle_and_index_settings(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    environ = {
        "SSL_CERT_FILE": str(ca),
        "PIP_FIND_LINKS": "/opt/wheels",
        "PIP_DEFAULT_TIMEOUT": "180",
        "HTTPS_PROXY": "http://proxy:3128",
        "UV_CACHE_DIR": "/root/.cache/uv",
        "MY_TOKEN": "abc",
        "OTHER": "x",
    }
    settings = {
        "global.index-url": "https://mirror.example/simple",
        "global.extra-index-url": "file:///opt/pypi/simple https://extra.example/simple",
        "global.constraint": "/etc/xdg/pip/constraints.txt",
    }
    fwd = forward_environment(environ, ["MY_TOKEN"], settings)
    assert fwd.ca_bundle == ca
    assert fwd.env["SSL_CERT_FILE"] == CA_IN_CONTAINER
    assert fwd.env["PIP_CERT"] == CA_IN_CONTAINER
    assert fwd.env["PIP_INDEX_URL"] == "https://mirror.example/simple"
    assert fwd.env["PIP_EXTRA_INDEX_URL"] == "https://extra.example/simple"
    assert fwd.env["UV_DEFAULT_INDEX"] == "https://mirror.example/simple"
    assert fwd.env["HTTPS_PROXY"] == "http://proxy:3128"
    assert fwd.env["MY_TOKEN"] == "abc"
    for host_only in ("PIP_FIND_LINKS", "PIP_CONSTRAINT", "UV_CACHE_DIR", "OTHER"):
        assert host_only not in fwd.env


def test_nothing_to_forward() -> None:
    fwd = forward_environment({}, [], {})
    assert fwd.env == {}
    assert fwd.ca_bundle is None


PUBLISH_AND_CI = {
    "UV_PUBLISH_TOKEN": "pypi-uv-publish",
    "UV_PUBLISH_PASSWORD": "uv-publish-pw",
    "UV_PUBLISH_USERNAME": "uploader",
    "UV_GITHUB_TOKEN": "ghp_uv",
    "PIP_MADE_UP_TOKEN": "pip-token",
    "TWINE_PASSWORD": "twine-pw",
    "GITHUB_TOKEN": "ghp_actions",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-request",
}
INDEX_SETTINGS = {
    "UV_DEFAULT_INDEX": "https://mirror.example/simple",
    "UV_NATIVE_TLS": "1",
    "UV_INSECURE_HOST": "mirror.example",
    "UV_HTTP_TIMEOUT": "120",
    "UV_INDEX_STRATEGY": "unsafe-best-match",
    "UV_INDEX_PRIVATE_USERNAME": "reader",
    "UV_INDEX_PRIVATE_PASSWORD": "index-pw",
    "PIP_TRUSTED_HOST": "mirror.example",
    "PIP_ONLY_BINARY": ":all:",
    "PIP_PRE": "1",
    "PIP_RETRIES": "10",
    "http_proxy": "http://proxy:3128",
}


def test_only_index_and_download_settings_are_forwarded() -> None:
    fwd = forward_environment({**PUBLISH_AND_CI, **INDEX_SETTINGS}, [], {})
    assert fwd.env == INDEX_SETTINGS


def test_a_credential_named_in_environment_pass_is_forwarded() -> None:
    fwd = forward_environment(PUBLISH_AND_CI, ["UV_PUBLISH_TOKEN", "GITHUB_TOKEN"], {})
    assert fwd.env == {"UV_PUBLISH_TOKEN": "pypi-uv-publish", "GITHUB_TOKEN": "ghp_actions"}


def test_location_lists_keep_their_urls_only() -> None:
    environ = {
        "UV_INDEX": "local=/srv/index private=https://reader:pw@idx.example/simple",
        "UV_FIND_LINKS": "/opt/wheels,https://links.example/wheels/",
        "PIP_FIND_LINKS": "/opt/wheels https://links.example/wheels/",
        "PIP_EXTRA_INDEX_URL": "file:///opt/pypi/simple",
    }
    fwd = forward_environment(environ, [], {"global.find-links": "/opt/wheels"})
    assert fwd.env == {
        "UV_INDEX": "private=https://reader:pw@idx.example/simple",
        "UV_FIND_LINKS": "https://links.example/wheels/",
        "PIP_FIND_LINKS": "https://links.example/wheels/",
    }
