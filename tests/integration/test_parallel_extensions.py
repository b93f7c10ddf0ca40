"""setuptools builds a lone build's extensions at a time, for real (native, real uv, real
setuptools finding the plugin by its entry point on PYTHONPATH), and each extension's sources
at a time: the job's log says so and the wheel works; extensions that share a source file are
built one at a time, and the log says why (the object they would both write). The wheel the
build writes uncompressed is delivered compressed (auditwheel's repair writes it again). In
podman, under the image's oldest CPython (3.8) and the setuptools it resolves to."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from manywheel.run.build_slots import usable_cores
from tests.integration.containers import image_env, manywheel_containers
from tests.integration.test_compiler_cache import native_env
from tests.projects import write_setuptools_pyproject
from tests.running import manywheel

pytestmark = pytest.mark.integration

NAMES = ("ext0", "ext1", "ext2")

_MODULE = """\
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
int common(void);
static PyObject *answer(PyObject *self, PyObject *args) {{
    return PyLong_FromLong(common() + {number});
}}
static PyMethodDef methods[] = {{{{"answer", answer, METH_NOARGS, ""}}, {{NULL, NULL, 0, NULL}}}};
static struct PyModuleDef module = {{PyModuleDef_HEAD_INIT, "{name}", NULL, -1, methods}};
PyMODINIT_FUNC PyInit_{name}(void) {{ return PyModule_Create(&module); }}
"""


def make_project(root: Path, *, shared: bool) -> Path:
    """Three extension modules whose answer() is 42, 43, 44: common() is in common.c, which
    each compiles (``shared``), or in a file of its own (ext0_common.c...)."""
    project = root / "many"
    project.mkdir()
    tables = []
    for number, name in enumerate(NAMES):
        (project / f"{name}.c").write_text(_MODULE.format(name=name, number=number))
        common = "common.c" if shared else f"{name}_common.c"
        (project / common).write_text(
            '#include <stdlib.h>\nint common(void) { return (int)strtol("42", 0, 10); }\n'
        )
        tables.append(f'{{ name = "{name}", sources = ["{name}.c", "{common}"] }}')
    write_setuptools_pyproject(project, "many", ", ".join(tables))
    return project


def build_log(project: Path, tmp_path: Path, env: dict[str, str]) -> str:
    """The job's log of a build of ``project`` (one job), tested."""
    imports = ", ".join(NAMES)
    answers = ", ".join(f"{name}.answer()" for name in NAMES)
    check = f'python -c "import {imports}; assert [{answers}] == [42, 43, 44]"'
    env = {**env, "MANYWHEEL_TEST_COMMAND": check}
    proc = manywheel("build", str(project), "-o", str(tmp_path / "wheelhouse"), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (log,) = (tmp_path / "logs").rglob("cp3*.log")
    return log.read_text()


def at_a_time(cores: int) -> str:
    """How the plugin says it builds a lone build (every core, up to every core)."""
    return f"as many at a time as the build has cores ({cores} now, up to {cores})"


def test_extensions_of_their_own_sources_build_at_a_time(tmp_path: Path) -> None:
    log = build_log(make_project(tmp_path, shared=False), tmp_path, native_env(tmp_path))
    cores = usable_cores()
    if cores >= 2:  # a lone build: every core
        assert f"MANYWHEEL_BUILD_EXT_JOBS={cores}:" in log
        extensions = f"building its 3 extensions {at_a_time(cores)}, the largest first"
        assert f"[manywheel] setuptools: {extensions}" in log
        sources = f"[manywheel] setuptools: compiling each extension's sources {at_a_time(cores)}"
        assert sources in log
        # written uncompressed, as auditwheel writes it again
        assert (
            "[manywheel] MANYWHEEL_WHEEL_STORED=1: setuptools writes the wheel uncompressed" in log
        )
    else:
        assert "[manywheel] setuptools" not in log
    # the wheel delivered is compressed all the same
    (wheel,) = (tmp_path / "wheelhouse").glob("*.whl")
    with zipfile.ZipFile(wheel) as delivered:
        files = [info for info in delivered.infolist() if not info.is_dir()]
        assert {info.compress_type for info in files} == {zipfile.ZIP_DEFLATED}


def test_extensions_that_share_a_source_build_one_at_a_time(tmp_path: Path) -> None:
    log = build_log(make_project(tmp_path, shared=True), tmp_path, native_env(tmp_path))
    cores = usable_cores()
    if cores >= 2:
        why = "ext0 and ext1 both compile common.c"
        assert f"[manywheel] setuptools: building extensions one at a time: {why}" in log
        # within one extension, each source has an object of its own
        sources = f"[manywheel] setuptools: compiling each extension's sources {at_a_time(cores)}"
        assert sources in log
    assert "[manywheel] setuptools: building its" not in log


@pytest.mark.container
def test_podman_cp38_builds_extensions_at_a_time(tmp_path: Path) -> None:
    project = make_project(tmp_path, shared=False)
    env = image_env("podman", tmp_path, MANYWHEEL_BUILD="cp38-manylinux_x86_64")
    log = build_log(project, tmp_path, env)
    if usable_cores() >= 2:
        assert "[manywheel] setuptools: building its 3 extensions " in log
        assert "[manywheel] setuptools: compiling each extension's sources " in log
    assert "Traceback" not in log
    assert manywheel_containers("podman") == []
