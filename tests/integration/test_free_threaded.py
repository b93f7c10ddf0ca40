"""The free-threading check for real, with a free-threaded CPython 3.13 (--disable-gil).

No free-threaded CPython can be installed here from a package (Debian has none, uv cannot
download one), so tests/images/build-free-threaded-python.sh builds one from Debian's source
package into /var/cache/manywheel-free-threaded (5-10 minutes on 2 cores), run by
scripts/setup-test-machine.sh. Where it is absent these tests fail under CI=true (the set-up
should have built it) and are skipped elsewhere, saying how to build it; tests/unit/test_gil.py
covers the check's logic everywhere.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.projects import make_c_project
from tests.running import manywheel

pytestmark = pytest.mark.integration

ROOT = Path(os.environ.get("MANYWHEEL_FREE_THREADED_ROOT", "/var/cache/manywheel-free-threaded"))
FT_PYTHON = ROOT / "cpython-3.13t" / "bin" / "python3.13t"
CONFIG = f"""
interpreters = ["{FT_PYTHON}"]
enable = ["cpython-freethreading"]
test-command = "python -c 'import demo; assert demo.answer() == 42'"
"""
SINGLE_PHASE_INIT = "PyMODINIT_FUNC PyInit_demo(void) { return PyModule_Create(&module); }"
GIL_NOT_USED_INIT = """PyMODINIT_FUNC PyInit_demo(void) {
    PyObject *m = PyModule_Create(&module);
#ifdef Py_GIL_DISABLED
    if (m != NULL) PyUnstable_Module_SetGIL(m, Py_MOD_GIL_NOT_USED);
#endif
    return m;
}"""


@pytest.fixture(autouse=True)
def _free_threaded_python() -> None:
    if FT_PYTHON.exists():
        return
    missing = (
        f"no free-threaded CPython at {FT_PYTHON}: build one with "
        "'bash tests/images/build-free-threaded-python.sh' (5-10 minutes; "
        "scripts/setup-test-machine.sh runs it)"
    )
    if os.environ.get("CI") == "true":  # a set-up that did not build it must not pass quietly
        pytest.fail(f"{missing}; CI=true, so this is a failure, not a skip", pytrace=False)
    pytest.skip(missing)


def build(project: Path, out: Path, **env: str) -> tuple[int, str, dict[str, Any]]:
    report = out.parent / f"{out.name}.json"
    proc = manywheel(
        "build", str(project), "-o", str(out), "--only", "cp313t-manylinux_x86_64",
        "--report", str(report), **env,
    )  # fmt: skip
    (job,) = json.loads(report.read_text())["jobs"]
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split()), job


def test_a_module_without_py_mod_gil_is_a_warning_or_an_error(tmp_path: Path) -> None:
    project = make_c_project(tmp_path, manywheel_config=CONFIG)
    code, output, job = build(project, tmp_path / "out")
    assert code == 0, output
    (wheel,) = (tmp_path / "out").glob("*.whl")
    assert "-cp313-cp313t-manylinux" in wheel.name
    expected = (
        f"importing demo from {wheel.name} re-enabled the GIL on free-threaded cp313t: the "
        "module does not declare that it runs without the GIL"
    )
    assert f"warning cp313t-manylinux_x86_64: {expected}" in output
    (warning,) = job["warnings"]
    assert warning.startswith(expected)
    # CPython's own words are in the log
    assert "The global interpreter lock (GIL) has been enabled to load module 'demo'" in (
        Path(job["log"]).read_text()
    )
    # a warm run restores the tested wheel from the cache, and the warning with it
    code, output, job = build(project, tmp_path / "out-warm")
    assert code == 0, output
    assert job["cached"]
    assert f"warning cp313t-manylinux_x86_64: {expected}" in output

    code, output, job = build(
        project, tmp_path / "out-error", MANYWHEEL_FREE_THREADED_GIL="error", MANYWHEEL_CACHE="0"
    )
    assert code == 1, output
    assert job["failed_step"] == "test"
    assert job["error"].startswith("importing demo from ")
    assert job["error"].endswith('(free-threaded-gil = "error")')
    assert list((tmp_path / "out-error").glob("*.whl")) == []


def test_a_module_that_declares_it_runs_without_the_gil_passes(tmp_path: Path) -> None:
    project = make_c_project(tmp_path, manywheel_config=CONFIG)
    source = project / "demo.c"
    source.write_text(source.read_text().replace(SINGLE_PHASE_INIT, GIL_NOT_USED_INIT))
    code, output, job = build(project, tmp_path / "out", MANYWHEEL_FREE_THREADED_GIL="error")
    assert code == 0, output
    assert job["warnings"] == []
    assert job["tested"]
