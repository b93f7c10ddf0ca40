"""PyPy is found where it lives (a pypy3 on PATH, pyenv's pypy3.* versions, an image's
/opt/python/pp39-pypy39_pp73) and named by what the interpreter says it is."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from manywheel.config.identifiers import Identifier
from manywheel.config.model import Options
from manywheel.planning import interpreters
from manywheel.planning.interpreters import candidate_paths, pypy_abi
from manywheel.planning.platforms import discovered_candidates

# what the probe prints under Debian's pypy3 (PyPy 7.3.11 for Python 3.9)
DEBIAN_PYPY = {
    "version": "3.9.16",
    "implementation": "PyPy",
    "gil_disabled": False,
    "soabi": "pypy39-pp73",
    "machine": "x86_64",
    "bits": 64,
    "executable": "/usr/bin/pypy3",
}


def executable(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def test_the_probe_names_a_pypy_by_its_implementation(monkeypatch: pytest.MonkeyPatch) -> None:
    def answer(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 0, json.dumps(DEBIAN_PYPY), "")

    monkeypatch.setattr(subprocess, "run", answer)
    found = interpreters._probe("/usr/bin/pypy3")
    assert found is not None
    assert str(found.identifier).startswith("pp39-")
    assert found.identifier.arch == "x86_64"
    assert (found.version, found.abi) == ("3.9.16", "pypy39_pp73")


def test_the_probe_still_refuses_other_implementations(monkeypatch: pytest.MonkeyPatch) -> None:
    graalpy = {**DEBIAN_PYPY, "implementation": "GraalVM", "soabi": "graalpy250-312-native"}

    def answer(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 0, json.dumps(graalpy), "")

    monkeypatch.setattr(subprocess, "run", answer)
    assert interpreters._probe("/opt/graalpy/bin/python") is None


def test_pypy_abi_tags_are_spelled_as_packaging_spells_them() -> None:
    assert pypy_abi("pypy39-pp73") == "pypy39_pp73"
    assert pypy_abi("pypy311-pp80-x86_64-linux-gnu") == "pypy311_pp80"
    assert pypy_abi(None) == ""
    assert pypy_abi("cpython-311-x86_64-linux-gnu") == ""


def test_pypy_executables_are_candidates(tmp_path: Path) -> None:
    bin_dir, pyenv = tmp_path / "bin", tmp_path / "pyenv"
    on_path = executable(bin_dir / "pypy3")
    versioned = executable(bin_dir / "pypy3.9")
    executable(bin_dir / "pypy3clean")  # Debian's byte-code cleaner: not an interpreter
    from_pyenv = executable(pyenv / "versions" / "pypy3.10-7.3.19" / "bin" / "pypy3")
    found = candidate_paths([], {"PATH": str(bin_dir), "PYENV_ROOT": str(pyenv)})
    assert from_pyenv in found
    assert versioned in found
    assert on_path in found
    assert not any(p.endswith("pypy3clean") for p in found)


def test_an_images_pypy_directories_are_candidates() -> None:
    entries = [
        "cp311-cp311",
        "cp313-cp313t",
        "pp39-pypy39_pp73",
        "pp311-pypy311_pp80",
        "graalpy312-graalpy250_312_native",  # not supported yet: not a candidate
    ]
    found = discovered_candidates(
        "manylinux", "x86_64", "my/image", lambda *args: entries, Options()
    )
    assert [(str(c.identifier), c.abi, c.python) for c in found] == [
        ("cp311-manylinux_x86_64", "", "/opt/python/cp311-cp311/bin/python"),
        ("cp313t-manylinux_x86_64", "", "/opt/python/cp313-cp313t/bin/python"),
        ("pp39-manylinux_x86_64", "pypy39_pp73", "/opt/python/pp39-pypy39_pp73/bin/python"),
        ("pp311-manylinux_x86_64", "pypy311_pp80", "/opt/python/pp311-pypy311_pp80/bin/python"),
    ]
    assert found[2].identifier == Identifier((3, 9), False, "manylinux", "x86_64", "pp")
