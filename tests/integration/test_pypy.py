"""PyPy wheels for real, natively and in the test image: Debian's pypy3 (PyPy 7.3 for Python 3.9) is found on PATH,
builds a C extension and a cffi module into pp39-pypy39_pp73 wheels that are repaired, tested,
and import in a fresh PyPy venv. (scripts/setup-test-machine.sh installs pypy3, pypy3-venv
and pypy3-dev.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from packaging.utils import parse_wheel_filename

from manywheel.planning.interpreters import discover
from tests.integration.containers import ENGINES, image_env, manywheel_containers
from tests.projects import make_c_project
from tests.running import manywheel
from tests.venvs import fresh_venv

pytestmark = pytest.mark.integration

PYPYS = [i for i in discover() if i.identifier.is_pypy]
# pp39 is an end-of-life PyPy: as in cibuildwheel 4, it needs the pypy-eol group
CONFIG = """
enable = ["pypy", "pypy-eol"]
build = "pp39-*"
"""


@pytest.fixture(scope="module")
def pypy() -> str:
    found = [i.path for i in PYPYS if str(i.identifier) == "pp39-manylinux_x86_64"]
    assert found, (
        "no PyPy 3.9 found: scripts/setup-test-machine.sh installs Debian's pypy3, pypy3-venv "
        "and pypy3-dev"
    )
    return found[0]


def interpreter_tags(python: str) -> list[str]:
    """The tags the interpreter itself installs (pip's packaging, inside that interpreter)."""
    code = "from pip._vendor.packaging import tags; print(' '.join(map(str, tags.sys_tags())))"
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return proc.stdout.split()


def import_in_fresh_venv(python: str, wheel: Path, code: str, where: Path) -> str:
    venv = where / "pypy-venv"
    fresh_venv(python, venv)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", str(wheel)],
        check=True,
    )
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=where,
    )
    return proc.stdout


def build(
    project: Path, out: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    proc = manywheel(
        "build", str(project), "-o", str(out), *extra, env={**os.environ, **(env or {})}
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def the_wheel(out: Path) -> Path:
    (wheel,) = out.glob("*.whl")
    return wheel


def test_plan_names_the_pypy_found_on_path(tmp_path: Path, pypy: str) -> None:
    project = make_c_project(tmp_path, manywheel_config=CONFIG)
    proc = manywheel("plan", str(project), "--json")
    assert proc.returncode == 0, proc.stderr
    (job,) = json.loads(proc.stdout)["jobs"]
    assert job["identifier"] == "pp39-manylinux_x86_64"
    assert job["python"] == pypy
    assert job["python_version"].startswith("3.9.")
    # PyPy is opt-in: the default plan has none, and pp39 alone says which group it needs
    default = manywheel("plan", str(make_c_project(tmp_path / "default")))
    assert "pp39" not in default.stdout
    only_pypy = make_c_project(
        tmp_path / "eol", manywheel_config='enable = ["pypy"]\nbuild = "pp39-*"\n'
    )
    refused = manywheel("plan", str(only_pypy))
    assert refused.returncode == 3
    assert 'pp39-manylinux_x86_64 needs enable = ["pypy-eol"]' in refused.stderr


def test_a_c_extension_builds_repairs_and_tests_on_pypy(tmp_path: Path, pypy: str) -> None:
    project = make_c_project(
        tmp_path,
        manywheel_config=CONFIG
        + """test-command = "python -c 'import demo, sys; assert demo.answer() == 42; """
        + """assert sys.implementation.name == \\"pypy\\"'"
""",
    )
    out, report = tmp_path / "wheelhouse", tmp_path / "report.json"
    build(project, out, "--report", str(report))
    wheel = the_wheel(out)
    _, _, _, tags = parse_wheel_filename(wheel.name)
    assert {(t.interpreter, t.abi) for t in tags} == {("pp39", "pypy39_pp73")}
    assert all(t.platform.startswith("manylinux") and t.platform.endswith("_x86_64") for t in tags)
    # the tags are the interpreter's own, not computed apart from it
    assert {str(t) for t in tags} & set(interpreter_tags(pypy))
    document = json.loads(report.read_text())
    schema = resources.files("manywheel.schemas").joinpath("report-v1.json").read_text()
    jsonschema.validate(document, json.loads(schema))
    (result,) = document["jobs"]
    assert (result["identifier"], result["status"], result["tested"]) == (
        "pp39-manylinux_x86_64",
        "success",
        True,
    )
    shown = import_in_fresh_venv(
        pypy, wheel, "import demo, sys; print(demo.answer(), sys.implementation.name)", tmp_path
    )
    assert shown.split() == ["42", "pypy"]
    explained = manywheel("explain", str(wheel))
    assert "  for: PyPy 3.9 (pp39-pypy39_pp73)" in explained.stdout


CFFI_BUILD = """\
from cffi import FFI

ffi = FFI()
ffi.cdef("int add(int a, int b); size_t length(const char *text);")
ffi.set_source(
    "_cffidemo",
    "#include <string.h>\\n"
    "static int add(int a, int b) { return a + b; }\\n"
    "static size_t length(const char *text) { return strlen(text); }\\n",
)
"""


def make_cffi_project(root: Path) -> Path:
    """A cffi module in API mode: PyPy has cffi built in, CPython gets it from the index."""
    project = root / "cffidemo"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        textwrap.dedent("""\
        [build-system]
        requires = ["setuptools>=61", "cffi>=1.15"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "cffidemo"
        version = "0.1.0"
        dependencies = ["cffi>=1.15; platform_python_implementation != 'PyPy'"]

        [tool.setuptools]
        py-modules = []

        [tool.manywheel]
        """)
        + CONFIG
        + "test-command = \"python -c 'from _cffidemo import lib; assert lib.add(40, 2) == 42'\"\n"
    )
    (project / "setup.py").write_text(
        'from setuptools import setup\n\nsetup(cffi_modules=["build_cffidemo.py:ffi"])\n'
    )
    (project / "build_cffidemo.py").write_text(CFFI_BUILD)
    return project


def test_a_cffi_module_builds_for_pypy(tmp_path: Path, pypy: str) -> None:
    out = tmp_path / "wheelhouse"
    build(make_cffi_project(tmp_path), out)
    wheel = the_wheel(out)
    assert wheel.name.startswith("cffidemo-0.1.0-pp39-pypy39_pp73-manylinux")
    shown = import_in_fresh_venv(
        pypy, wheel, "from _cffidemo import lib; print(lib.length(b'pypy'))", tmp_path
    )
    assert shown.strip() == "4"


def test_pypy_venv_and_frontends_work_with_debians_pypy(tmp_path: Path, pypy: str) -> None:
    """venv (Debian's pypy3-venv) and the build and pip frontends, besides uv (the default)."""
    project = make_c_project(
        tmp_path, manywheel_config=CONFIG + "test-command = \"python -c 'import demo'\"\n"
    )
    for frontend in ("build", "pip"):
        out = tmp_path / frontend
        build(project, out, env={"MANYWHEEL_BUILD_FRONTEND": frontend})
        assert the_wheel(out).name.startswith("demo-0.1.0-pp39-pypy39_pp73-manylinux")
    assert sys.implementation.name == "cpython"  # manywheel itself runs on CPython


@pytest.mark.container
@pytest.mark.parametrize("engine", ENGINES)
def test_a_c_extension_builds_for_pypy_in_the_image(engine: str, tmp_path: Path, pypy: str) -> None:
    """The x86_64 test image has PyPy where pypa's images keep it,
    /opt/python/pp39-pypy39_pp73 (tests/images/build-images.sh): found there, built, repaired
    and tested in the container; the wheel imports in a fresh PyPy venv on the host."""
    project = make_c_project(
        tmp_path,
        manywheel_config=CONFIG
        + """test-command = "python -c 'import demo, sys; assert demo.answer() == 42; """
        + """assert sys.implementation.name == \\"pypy\\"'"
""",
    )
    env = image_env(engine, tmp_path)
    plan = manywheel("plan", str(project), "--json", env=env)
    assert plan.returncode == 0, plan.stderr
    (job,) = json.loads(plan.stdout)["jobs"]
    assert (job["identifier"], job["python"]) == (
        "pp39-manylinux_x86_64",
        "/opt/python/pp39-pypy39_pp73/bin/python",
    )
    out = tmp_path / "wheelhouse"
    build(project, out, env=env)
    wheel = the_wheel(out)
    assert wheel.name.startswith("demo-0.1.0-pp39-pypy39_pp73-manylinux")
    shown = import_in_fresh_venv(pypy, wheel, "import demo; print(demo.answer())", tmp_path)
    assert shown.strip() == "42"
    assert manywheel_containers(engine) == []
