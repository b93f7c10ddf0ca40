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


RUST_SETTINGS = {
    "RUSTFLAGS": "-C target-cpu=x86-64-v2",
    "CARGO_ENCODED_RUSTFLAGS": "-Copt-level=3",
    "CARGO_PROFILE_RELEASE_LTO": "fat",
    "CARGO_PROFILE_RELEASE_CODEGEN_UNITS": "1",
    "CARGO_BUILD_JOBS": "2",
    "CARGO_NET_OFFLINE": "true",
    "CARGO_NET_RETRY": "5",
    "CARGO_HTTP_TIMEOUT": "60",
    "CARGO_REGISTRIES_CRATES_IO_PROTOCOL": "sparse",
    "CARGO_REGISTRIES_MIRROR_INDEX": "sparse+https://mirror.example/index/",
    "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS": "-C link-arg=-s",
    "CARGO_TERM_COLOR": "never",
}
RUST_HOST_ONLY = {
    "CARGO_HOME": "/root/.cargo",
    "CARGO_TARGET_DIR": "/home/me/target",
    "CARGO_BUILD_TARGET_DIR": "/home/me/target",
    "CARGO_BUILD_RUSTC": "/root/.cargo/bin/rustc",
    "CARGO_BUILD_RUSTC_WRAPPER": "/usr/bin/sccache",
    "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER": "/usr/bin/clang",
    "CARGO_INSTALL_ROOT": "/opt/cargo",
    "RUSTC": "/root/.cargo/bin/rustc",
    "RUSTC_WRAPPER": "/usr/bin/sccache",
    "RUSTUP_HOME": "/root/.rustup",
    "RUSTUP_TOOLCHAIN": "stable",
}
RUST_CREDENTIALS = {
    "CARGO_REGISTRY_TOKEN": "cio-token",
    "CARGO_REGISTRIES_MIRROR_TOKEN": "mirror-token",
    "CARGO_REGISTRY_CREDENTIAL_PROVIDER": "cargo:token",
    "CARGO_REGISTRY_SECRET_KEY": "k3.secret.xyz",
}


def test_cargo_and_rustc_settings_are_forwarded_but_no_path_or_token() -> None:
    environ = {**RUST_SETTINGS, **RUST_HOST_ONLY, **RUST_CREDENTIALS}
    assert forward_environment(environ, [], {}).env == RUST_SETTINGS


def test_cargo_trusts_the_forwarded_ca_bundle(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    fwd = forward_environment({"CARGO_HTTP_CAINFO": str(ca)}, [], {})
    assert fwd.ca_bundle == ca
    assert fwd.env["CARGO_HTTP_CAINFO"] == CA_IN_CONTAINER
