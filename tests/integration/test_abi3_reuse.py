"""abi3 for real: a limited-API extension and a public abi3 sdist are built once per platform
and tested on every selected CPython (as cibuildwheel's find_compatible_wheel)."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from manywheel.planning.interpreters import discover
from tests.projects import real_sdist
from tests.running import manywheel

pytestmark = pytest.mark.integration

HOST = [
    f"cp3{minor}"
    for minor in sorted(
        i.identifier.version[1]
        for i in discover()
        if i.identifier.version >= (3, 8)
        and not i.identifier.free_threaded
        and not i.identifier.is_pypy
    )
]

LIMITED_C = """\
#define Py_LIMITED_API 0x03080000
#include <Python.h>
#include <stdlib.h>

/* atoi: the extension links libc, as every real one does (auditwheel needs to see it) */
static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(atoi("42")); }
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "limited", NULL, -1, methods};
PyMODINIT_FUNC PyInit_limited(void) { return PyModule_Create(&module); }
"""


def limited_api_project(root: Path, marker: Path, source: str = LIMITED_C) -> Path:
    project = root / "limited"
    project.mkdir(parents=True)
    (project / "limited.c").write_text(source)
    (project / "setup.cfg").write_text("[bdist_wheel]\npy_limited_api = cp38\n")
    (project / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "limited"
        version = "1.0"

        [tool.setuptools]
        ext-modules = [{{ name = "limited", sources = ["limited.c"], py-limited-api = true }}]
        py-modules = []

        [tool.manywheel]
        before-build = "echo built >> {marker}"
        test-command = "python -c 'import limited, sys; assert limited.answer() == 42; print(sys.version_info[:2])' >> {marker}.tested"
        """)
    )
    return project


def build(project: Path, tmp_path: Path, *extra: str) -> tuple[int, dict[str, dict[str, object]]]:
    report = tmp_path / "report.json"
    proc = manywheel(
        "build",
        str(project),
        "-o",
        str(tmp_path / "out"),
        "--report",
        str(report),
        *extra,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    jobs = {j["identifier"]: j for j in json.loads(report.read_text())["jobs"]}
    return proc.returncode, jobs


def test_limited_api_extension_is_built_once_and_tested_on_each_cpython(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    project = limited_api_project(tmp_path / "src", marker)
    _, jobs = build(project, tmp_path, "--no-cache")
    wheels = sorted(p.name for p in (tmp_path / "out").glob("*.whl"))
    assert len(wheels) == 1
    assert wheels[0].startswith("limited-1.0-cp38-abi3-manylinux")
    assert marker.read_text().splitlines() == ["built"]  # before-build ran once
    assert len(Path(f"{marker}.tested").read_text().splitlines()) == len(HOST)
    first = f"{HOST[0]}-manylinux_x86_64"
    assert {name: j["reused_from"] for name, j in jobs.items()} == {
        f"{tag}-manylinux_x86_64": (None if tag == HOST[0] else first) for tag in HOST
    }
    assert all(j["tested"] and j["status"] == "success" for j in jobs.values())


def test_a_public_abi3_sdist_is_built_once(tmp_path: Path) -> None:
    sdist = real_sdist("psutil==7.2.2")
    _, jobs = build(
        sdist,
        tmp_path,
        "--no-cache",
        "--jobs",
        "3",
    )
    wheels = sorted(p.name for p in (tmp_path / "out").glob("*.whl"))
    assert len(wheels) == 1, wheels
    assert "-cp36-abi3-" in wheels[0]
    built = [name for name, j in jobs.items() if j["reused_from"] is None]
    assert len(built) == 1
    assert all(j["status"] == "success" for j in jobs.values())


def test_auditwheels_own_error_is_shown_as_auditwheels(tmp_path: Path) -> None:
    """An extension that links no libc makes auditwheel raise InvalidLibcError. The default
    repair command is run again with --plat (tests/integration/test_native_build.py); a
    command of the user's is not: the job fails in repair with auditwheel's words in the log's
    tail and explain's reading of the wheel, never as a bug in manywheel."""
    no_libc = LIMITED_C.replace('atoi("42")', "42")
    project = limited_api_project(tmp_path / "src", tmp_path / "marker", no_libc)
    proc = manywheel(
        "build",
        str(project),
        "-o",
        str(tmp_path / "out"),
        "--only",
        f"{HOST[-1]}-manylinux_x86_64",
        env={
            **os.environ,
            "TMPDIR": str(tmp_path),
            "MANYWHEEL_REPAIR_WHEEL_COMMAND": "auditwheel -v repair -w {dest_dir} {wheel}",
        },
    )
    assert proc.returncode == 1
    said = " ".join(proc.stdout.split())
    assert "failed in step repair" in said
    assert "InvalidLibcError: couldn't detect libc for python extension limited.abi3.so" in said
    assert "links no C library: read as glibc's" in said
    assert "bug in manywheel" not in proc.stdout + proc.stderr
    assert "internal error" not in proc.stdout + proc.stderr


GATED_SETUP = """\
import sys

from setuptools import Extension, setup

# the stable ABI only from CPython 3.12 on (as nanobind's projects do): older ones get an
# ordinary wheel, 3.12 and later one cp312-abi3 wheel
abi3 = sys.version_info >= (3, 12)
setup(
    ext_modules=[
        Extension(
            "gated",
            ["gated.c"],
            py_limited_api=abi3,
            define_macros=[("Py_LIMITED_API", "0x030C0000")] if abi3 else [],
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp312"}} if abi3 else {},
)
"""


def gated_abi3_project(root: Path, marker: Path, selected: str) -> Path:
    project = root / "gated"
    project.mkdir(parents=True)
    (project / "gated.c").write_text(
        LIMITED_C.replace("#define Py_LIMITED_API 0x03080000\n", "")
        .replace('"limited"', '"gated"')
        .replace("PyInit_limited", "PyInit_gated")
    )
    (project / "setup.py").write_text(GATED_SETUP)
    (project / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "gated"
        version = "1.0"

        [tool.manywheel]
        build = "{selected}"
        before-build = "echo built >> {marker}"
        test-command = "python -c 'import gated; assert gated.answer() == 42'"
        """)
    )
    return project


@pytest.mark.skipif(
    not {"cp310", "cp312", "cp313"} <= set(HOST), reason="needs host CPythons 3.10, 3.12, 3.13"
)
def test_an_abi3_setting_from_a_later_cpython_builds_its_abi3_wheel_once(tmp_path: Path) -> None:
    """cp310 builds an ordinary wheel; cp312 the abi3 wheel, which cp313 tests (before, cp312
    and cp313, released together by cp310's wheel, both built cp312-abi3: exit 1 in deliver)."""
    marker = tmp_path / "marker"
    selected = "cp310-* cp312-* cp313-*"
    project = gated_abi3_project(tmp_path / "src", marker, selected)
    _, jobs = build(project, tmp_path, "--no-cache", "--jobs", "3")
    wheels = sorted(p.name for p in (tmp_path / "out").glob("*.whl"))
    assert [w.split("-manylinux")[0] for w in wheels] == [
        "gated-1.0-cp310-cp310",
        "gated-1.0-cp312-abi3",
    ]
    assert {name: j["reused_from"] for name, j in jobs.items()} == {
        "cp310-manylinux_x86_64": None,
        "cp312-manylinux_x86_64": None,
        "cp313-manylinux_x86_64": "cp312-manylinux_x86_64",
    }
    assert marker.read_text().splitlines() == ["built", "built"]  # cp310's and cp312's
    assert all(j["tested"] and j["status"] == "success" for j in jobs.values())
