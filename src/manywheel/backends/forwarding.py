"""What a container needs from the host to reach a package index: CA bundle, pip/uv index and
download settings (an allowlist), proxies, cargo's and rustc's build settings, and the
variables named in environment-pass.

Nothing else of the host's environment goes in: build code runs there, and a host holds
credentials (upload tokens, CI identity tokens) it has no use for (config/credentials.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from manywheel.backends.pip_config import pip_config
from manywheel.config.credentials import is_credential, is_index_credential

CA_IN_CONTAINER = "/usr/local/share/manywheel/ca-bundle.crt"
_CA_VARS = (
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "CURL_CA_BUNDLE",
    "CARGO_HTTP_CAINFO",
)
_PROXY_VARS = ("http_proxy", "https_proxy", "no_proxy", "all_proxy")
# Only what says where packages come from and how they are fetched is forwarded (an allowlist:
# any other UV_*/PIP_* variable may be a credential, e.g. UV_PUBLISH_TOKEN). Host paths (cache
# dirs, constraint files, pip.conf, interpreters) mean nothing in the container and are left
# out; so are publish settings. The CA bundle is copied in and its variables point at it.
# pip options, as pip.conf keys (PIP_<KEY> in the environment):
_PIP_KEYS = {
    "index-url",
    "extra-index-url",
    "no-index",
    "find-links",
    "trusted-host",
    "timeout",
    "default-timeout",
    "retries",
    "proxy",
    "pre",
    "only-binary",
    "no-binary",
    "prefer-binary",
    "no-cache-dir",
    "disable-pip-version-check",
    "progress-bar",
    "no-input",
}
_UV_VARS = {
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_NO_INDEX",
    "UV_INDEX_STRATEGY",
    "UV_KEYRING_PROVIDER",
    "UV_NATIVE_TLS",
    "UV_SYSTEM_CERTS",
    "UV_INSECURE_HOST",
    "UV_OFFLINE",
    "UV_HTTP_TIMEOUT",
    "UV_HTTP_CONNECT_TIMEOUT",
    "UV_HTTP_RETRIES",
    "UV_REQUEST_TIMEOUT",
    "UV_CONCURRENT_DOWNLOADS",
    "UV_CONCURRENT_BUILDS",
    "UV_CONCURRENT_INSTALLS",
    "UV_PRERELEASE",
    "UV_RESOLUTION",
    "UV_EXCLUDE_NEWER",
    "UV_NO_BINARY",
    "UV_NO_BINARY_PACKAGE",
    "UV_NO_BUILD",
    "UV_NO_BUILD_PACKAGE",
    "UV_NO_CACHE",
    "UV_NO_PROGRESS",
    "UV_PYTHON_INSTALL_MIRROR",
    "UV_PYPY_INSTALL_MIRROR",
}
# Rust: how cargo and rustc build (profiles, flags, network, registries' URLs), as a native
# build sees them. Never a credential (registry tokens, credential providers: is_credential),
# and never a host path: CARGO_HOME, target and install dirs, rustc/rustdoc/linker/runner
# programs mean nothing in the container, whose cargo keeps its own home (a project's
# .cargo/config.toml, or CARGO_HOME in the environment option, says where crates come from).
_RUST_VARS = {
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_ENCODED_RUSTDOCFLAGS",
    "CARGO_INCREMENTAL",
    "CARGO_LOG",
    "RUST_BACKTRACE",
}
_CARGO_SETTING = re.compile(
    r"CARGO_(PROFILE|BUILD|TARGET|NET|HTTP|REGISTRIES|REGISTRY|TERM|UNSTABLE)_\w+"
)
_CARGO_HOST_PATH = re.compile(
    r"CARGO_(TARGET_DIR|HTTP_CAINFO|BUILD_(TARGET_DIR|RUSTC\w*|RUSTDOC|DEP_INFO_BASEDIR)"
    r"|TARGET_\w+_(LINKER|RUNNER|AR))"
)
# Lists of locations, and how they are separated: only URLs mean the same in the container.
_LOCATION_LISTS = {
    "PIP_INDEX_URL": " ",
    "PIP_EXTRA_INDEX_URL": " ",
    "PIP_FIND_LINKS": " ",
    "UV_DEFAULT_INDEX": " ",
    "UV_INDEX": " ",
    "UV_INDEX_URL": " ",
    "UV_EXTRA_INDEX_URL": " ",
    "UV_FIND_LINKS": ",",
}


@dataclass(frozen=True)
class Forwarded:
    env: dict[str, str] = field(default_factory=dict)
    ca_bundle: Path | None = None  # host file to copy to CA_IN_CONTAINER


def host_ca_bundle(environ: Mapping[str, str]) -> Path | None:
    for var in _CA_VARS:
        value = environ.get(var)
        if value and Path(value).is_file():
            return Path(value)
    return None


def _is_remote(location: str) -> bool:
    """An http(s) URL, or uv's ``name=URL``."""
    name, eq, url = location.partition("=")
    if not eq or "://" in name:
        url = location
    return url.startswith(("http://", "https://"))


def _remote_only(value: str, sep: str) -> str:
    return sep.join(u for u in value.split(sep.strip() or None) if _is_remote(u.strip()))


def rust_setting(var: str) -> bool:
    """A cargo or rustc build setting that means the same in a container (see _RUST_VARS)."""
    if var in _RUST_VARS:
        return True
    return (
        bool(_CARGO_SETTING.fullmatch(var))
        and not _CARGO_HOST_PATH.fullmatch(var)
        and not is_credential(var)
    )


def forwarded_name(var: str) -> bool:
    """Whether a host variable configures package downloads or a Rust build and is forwarded
    as is."""
    if var.startswith(("CARGO_", "RUST")):
        return rust_setting(var)
    if var.startswith("PIP_"):
        return var[4:].lower().replace("_", "-") in _PIP_KEYS
    if var.startswith("UV_"):
        # an index's login too: build dependencies are installed from it (and it is masked)
        return var in _UV_VARS or is_index_credential(var)
    return var.lower() in _PROXY_VARS


def forward_environment(
    environ: Mapping[str, str],
    pass_names: Iterable[str],
    pip_settings: Mapping[str, str] | None = None,
) -> Forwarded:
    env: dict[str, str] = {}
    settings = pip_config() if pip_settings is None else pip_settings
    for dotted, raw in settings.items():
        _, _, key = dotted.partition(".")
        if key in _PIP_KEYS:
            env["PIP_" + key.upper().replace("-", "_")] = raw
    env.update((var, value) for var, value in environ.items() if forwarded_name(var))
    for var in _LOCATION_LISTS.keys() & env.keys():
        env[var] = _remote_only(env[var], _LOCATION_LISTS[var])
    # uv does not read pip's configuration: tell it the same indexes.
    if env.get("PIP_INDEX_URL") and "UV_DEFAULT_INDEX" not in env and "UV_INDEX_URL" not in env:
        env["UV_DEFAULT_INDEX"] = env["PIP_INDEX_URL"]
    if env.get("PIP_EXTRA_INDEX_URL") and "UV_INDEX" not in env:
        env.setdefault("UV_EXTRA_INDEX_URL", env["PIP_EXTRA_INDEX_URL"])
    env = {k: v for k, v in env.items() if v}
    ca = host_ca_bundle(environ)
    if ca is not None:
        for var in _CA_VARS:
            env[var] = CA_IN_CONTAINER
    for name in pass_names:
        if name in environ:
            env[name] = environ[name]
    return Forwarded(env, ca)
