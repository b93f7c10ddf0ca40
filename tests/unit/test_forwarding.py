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
