"""Small real projects generated from templates, for integration tests."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SDIST_CACHE = Path.home() / ".cache" / "manywheel-tests" / "sdists"

_C_TEMPLATE = """\
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdio.h>
{extra_c}
static PyObject *answer(PyObject *self, PyObject *args) {{
    char buf[16];
    snprintf(buf, sizeof buf, "%d", 42);
    return PyLong_FromString(buf, NULL, 10);
}}

static PyMethodDef methods[] = {{
    {{"answer", answer, METH_NOARGS, "The answer, computed in C."}},
    {{NULL, NULL, 0, NULL}},
}};

static struct PyModuleDef module = {{PyModuleDef_HEAD_INIT, "{name}", NULL, -1, methods}};

PyMODINIT_FUNC PyInit_{name}(void) {{ return PyModule_Create(&module); }}
"""


def make_c_project(
    root: Path,
    name: str = "demo",
    *,
    requires_python: str = ">=3.8",
    extra_c: str = "",
    manywheel_config: str = "",
    libraries: tuple[str, ...] = (),
    limited_api: str = "",
    claim_only: bool = False,
    sources: tuple[str, ...] = (),
) -> Path:
    """Write a setuptools project with one C extension module ``name`` into ``root/name``.

    ``limited_api="cp38"`` makes it a stable-ABI project: the module is built with
    ``py-limited-api`` and Py_LIMITED_API, and the wheel tagged ``cp38-abi3``. With
    ``claim_only`` the macro is left out, so ``extra_c`` can use the full API while the wheel
    still claims abi3 (what abi3audit exists to catch). ``sources``: the extension's C files
    instead of ``name.c`` (the caller writes them)."""
    project = root / name
    project.mkdir(parents=True)
    libs = f", libraries = {list(libraries)!r}" if libraries else ""
    if limited_api:
        libs += ", py-limited-api = true"
        if not claim_only:
            hexversion = f"0x03{int(limited_api[3:]):02x}0000"
            libs += f', define-macros = [["Py_LIMITED_API", "{hexversion}"]]'
        (project / "setup.cfg").write_text(f"[bdist_wheel]\npy_limited_api = {limited_api}\n")
    (project / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{name}"
        version = "0.1.0"
        requires-python = "{requires_python}"

        [tool.setuptools]
        ext-modules = [{{ name = "{name}", sources = {list(sources or [f"{name}.c"])!r}{libs} }}]
        py-modules = []

        [tool.manywheel]
        """)
        + textwrap.dedent(manywheel_config)
    )
    (project / f"{name}.c").write_text(_C_TEMPLATE.format(name=name, extra_c=extra_c))
    return project


def real_sdist(requirement: str) -> Path:
    """A real project's sdist (``name==version``) from the package index, fetched once per
    machine into ~/.cache/manywheel-tests/sdists."""
    name, version = requirement.split("==")
    SDIST_CACHE.mkdir(parents=True, exist_ok=True)
    pattern = f"{name}-{version}.tar.gz"
    found = [p for p in SDIST_CACHE.iterdir() if p.name.lower() == pattern.lower()]
    if not found:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                "--dest",
                str(SDIST_CACHE),
                requirement,
            ],
            check=True,
        )
        found = [p for p in SDIST_CACHE.iterdir() if p.name.lower() == pattern.lower()]
    return found[0]


_TWO_FILE_MAIN = """\
#define PY_SSIZE_T_CLEAN
#include <Python.h>
int helper(void);
static PyObject *answer(PyObject *self, PyObject *args) {{ return PyLong_FromLong(helper()); }}
static PyMethodDef methods[] = {{
    {{"answer", answer, METH_NOARGS, "helper() from the other translation unit."}},
    {{NULL, NULL, 0, NULL}},
}};
static struct PyModuleDef module = {{PyModuleDef_HEAD_INIT, "{name}", NULL, -1, methods}};
PyMODINIT_FUNC PyInit_{name}(void) {{ return PyModule_Create(&module); }}
"""


def make_two_file_project(
    root: Path, name: str = "two", answer: int = 42, *, padding: int = 0
) -> Path:
    """A setuptools project whose extension ``name`` is two C files: src/main.c calls
    ``helper()`` in src/helper.c, which returns ``answer`` (edit it with set_answer).
    src/helper.c does not include Python.h: CPythons with the same compile flags compile it to
    the same object. ``padding``: functions added to it, so that it takes seconds to compile."""
    project = make_c_project(root, name, sources=("src/main.c", "src/helper.c"))
    (project / f"{name}.c").unlink()
    (project / "src").mkdir()
    (project / "src" / "main.c").write_text(_TWO_FILE_MAIN.format(name=name))
    set_answer(project, answer, padding=padding)
    return project


def set_answer(project: Path, answer: int, *, padding: int = 0) -> None:
    """The one-file edit: src/helper.c returns ``answer``."""
    # a libc call: an extension that needs no libc symbol at all has no libc.so.6 NEEDED, and
    # auditwheel cannot tell its libc (InvalidLibcError, seen on cp310)
    pad = "".join(
        f"int helper_pad{i}(int x) {{ int s = {i}; for (int k = 0; k < x; k++) "
        f"{{ s += (k * {i + 1}) ^ (s >> 3); if (s % 7 == {i % 7}) s -= k; }} return s; }}\n"
        for i in range(padding)
    )
    (project / "src" / "helper.c").write_text(
        f"#include <stdlib.h>\n{pad}"
        f'int helper(void) {{ return (int)strtol("{answer}", NULL, 10); }}\n'
    )
