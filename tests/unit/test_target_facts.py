"""The target interpreter's facts, as a cross build uses them: the archive the target's
interpreter writes (FACTS_SCRIPT) unpacked into a cache entry whose sysconfigdata points at
the copied headers, Debian's multiarch pyconfig.h put in place, and sitecustomize written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from manywheel.toolchains.target import (
    TargetFacts,
    build_time_vars,
    cross_environment,
    unpack,
)
from tests.unit.archives import archive

NAME = "_sysconfigdata__aarch64-linux-gnu"


def debian_archive() -> bytes:
    """What Debian's python3.11 in an arm64 image writes (the multiarch layout)."""
    sysconfig = (
        "# system configuration generated and used by the sysconfig module\n"
        "build_time_vars = {'EXT_SUFFIX': '.cpython-311-aarch64-linux-gnu.so',\n"
        " 'INCLUDEPY': '/usr/include/python3.11', 'INCLUDEDIR': '/usr/include',\n"
        " 'CONFINCLUDEPY': '/usr/include/python3.11', 'MULTIARCH': 'aarch64-linux-gnu'}\n"
    )
    facts = {
        "sysconfigdata": NAME,
        "ext_suffix": ".cpython-311-aarch64-linux-gnu.so",
        "include": "/usr/include/python3.11",
        "include_dirs": ["/usr/include/aarch64-linux-gnu/python3.11", "/usr/include/python3.11"],
        "version": "3.11",
    }
    files = {
        f"site/{NAME}.py": sysconfig.encode(),
        "root/usr/include/python3.11/Python.h": b"#include <pyconfig.h>\n",
        "root/usr/include/python3.11/pyconfig.h": b"#include <aarch64-linux-gnu/python3.11/pyconfig.h>\n",
        "root/usr/include/aarch64-linux-gnu/python3.11/pyconfig.h": b"#define SIZEOF_VOID_P 8\n",
        "facts.json": json.dumps(facts).encode(),
    }
    return archive(files)


def test_unpacked_facts_point_at_the_copied_headers(tmp_path: Path) -> None:
    final = tmp_path / "cross" / "sha256-abc" / "cp311"
    facts = unpack(debian_archive(), final, "linux-aarch64")
    assert facts == TargetFacts(final, NAME, ".cpython-311-aarch64-linux-gnu.so", "3.11")
    variables = build_time_vars((final / "site" / f"{NAME}.py").read_text())
    include = final / "root" / "usr" / "include" / "python3.11"
    assert variables["INCLUDEPY"] == str(include)
    assert variables["CONFINCLUDEPY"] == str(include)
    assert variables["INCLUDEDIR"] == str(final / "root" / "usr" / "include")
    assert variables["EXT_SUFFIX"] == ".cpython-311-aarch64-linux-gnu.so"
    # the compiler finds the target's own pyconfig.h, not Debian's multiarch wrapper
    assert (include / "pyconfig.h").read_text() == "#define SIZEOF_VOID_P 8\n"
    site = (final / "site" / "sitecustomize.py").read_text()
    assert "os.environ[\"_PYTHON_HOST_PLATFORM\"] = 'linux-aarch64'" in site
    assert f"os.environ[\"_PYTHON_SYSCONFIGDATA_NAME\"] = '{NAME}'" in site
    assert not [p for p in final.parent.iterdir() if p.name.startswith(".")]  # no temp dir left
    assert TargetFacts.load(final) == facts


def test_the_backend_gets_the_facts_first_on_its_path(tmp_path: Path) -> None:
    facts = TargetFacts(tmp_path, NAME, ".so", "3.11")
    assert cross_environment(facts) == {"PYTHONPATH": str(tmp_path / "site")}
    assert cross_environment(facts, "/mine") == {"PYTHONPATH": f"{tmp_path / 'site'}:/mine"}


def test_sysconfigdata_is_read_as_data_never_run() -> None:
    with pytest.raises(ValueError, match="malformed"):
        build_time_vars("build_time_vars = {'A': __import__('os').system('true')}\n")
    with pytest.raises(ValueError, match="no build_time_vars dict"):
        build_time_vars("x = 1\n")
