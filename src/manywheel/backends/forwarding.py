"""What a container needs from the host to reach a package index: CA bundle, pip/uv config,
proxies, and the variables named in environment-pass."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

CA_IN_CONTAINER = "/usr/local/share/manywheel/ca-bundle.crt"
_CA_VARS = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "CURL_CA_BUNDLE")
_PROXY_VARS = ("http_proxy", "https_proxy", "no_proxy", "all_proxy")
# pip settings that make sense in another filesystem (paths such as find-links do not).
_PIP_KEYS = {
    "index-url",
    "extra-index-url",
    "trusted-host",
    "timeout",
    "default-timeout",
    "retries",
    "proxy",
    "disable-pip-version-check",
}
_PIP_HOST_PATH_VARS = {
    "PIP_FIND_LINKS",
    "PIP_CONSTRAINT",
    "PIP_CERT",
    "PIP_REQUIRE_VIRTUALENV",
    "PIP_TARGET",
    "PIP_PREFIX",
    "PIP_CONFIG_FILE",
}
_UV_HOST_VARS = {
    "UV_CACHE_DIR",
    "UV_PYTHON",
    "UV_PYTHON_INSTALL_DIR",
    "UV_TOOL_DIR",
    "UV_TOOL_BIN_DIR",
    "UV_PROJECT_ENVIRONMENT",
    "UV_FIND_LINKS",
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


def pip_config(python: str = sys.executable) -> dict[str, str]:
    """pip's effective configuration (files + PIP_* env) as 'section.key' -> value."""
    try:
        proc = subprocess.run(
            [python, "-m", "pip", "config", "list"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    values: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip("'\"")
    return values


def _is_remote(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def _remote_only(value: str) -> str:
    return " ".join(u for u in value.split() if _is_remote(u))


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
            value = _remote_only(raw) if key.endswith("index-url") else raw
            if value:
                env["PIP_" + key.upper().replace("-", "_")] = value
    for var, value in environ.items():
        if var.startswith("PIP_") and var not in _PIP_HOST_PATH_VARS:
            env[var] = _remote_only(value) if var.endswith("INDEX_URL") else value
        elif (var.startswith("UV_") and var not in _UV_HOST_VARS) or var.lower() in _PROXY_VARS:
            env[var] = value
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
