"""Engine option parsing and which arches need QEMU."""

from __future__ import annotations

import pytest

from manywheel.backends.engine import needs_emulation, parse_engine
from manywheel.errors import ConfigError


def test_parse_engine_with_create_args() -> None:
    assert parse_engine("podman; create_args: --runtime runc --ulimit nofile=1024:20000", "x") == (
        "podman",
        ("--runtime", "runc", "--ulimit", "nofile=1024:20000"),
    )
    assert parse_engine("docker", "x") == ("docker", ())


def test_parse_engine_rejects_unknown() -> None:
    with pytest.raises(ConfigError, match="unknown container engine 'lxc'"):
        parse_engine("lxc", "pyproject.toml: tool.manywheel.container-engine")


def test_emulation() -> None:
    assert not needs_emulation("x86_64", "x86_64")
    assert not needs_emulation("x86_64", "i686")
    assert needs_emulation("x86_64", "aarch64")
    assert needs_emulation("x86_64", "s390x")
