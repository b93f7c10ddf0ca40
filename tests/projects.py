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


def write_setuptools_pyproject(
    project: Path,
    name: str,
    extension: str,
    *,
    requires_python: str = "",
    manywheel: str | None = None,
) -> None:
    """``project/pyproject.toml`` of a setuptools project ``name`` 0.1.0 whose one extension
    module is the inline table ``extension`` (``{ name = ..., sources = [...] }``); with
    ``manywheel`` (even ""), a ``[tool.manywheel]`` table holding it."""
    python = f'requires-python = "{requires_python}"\n' if requires_python else ""
    tool = "" if manywheel is None else "\n[tool.manywheel]\n" + textwrap.dedent(manywheel)
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{name}"\nversion = "0.1.0"\n{python}\n'
        f"[tool.setuptools]\next-modules = [{extension}]\npy-modules = []\n" + tool
    )


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
    source_list = list(sources or [f"{name}.c"])
    write_setuptools_pyproject(
        project,
        name,
        f'{{ name = "{name}", sources = {source_list!r}{libs} }}',
        requires_python=requires_python,
        manywheel=manywheel_config,
    )
    (project / f"{name}.c").write_text(_C_TEMPLATE.format(name=name, extra_c=extra_c))
    return project


def make_no_libc_project(root: Path, manywheel_config: str = "") -> Path:
    """An abi3 project ``pure`` whose extension calls the Python API only and links no C
    library (as tornado's speedups.abi3.so): ``pure.seven() == 7``."""
    project = make_c_project(
        root, "pure", limited_api="cp38", sources=("pure.c",), manywheel_config=manywheel_config
    )
    (project / "pure.c").write_text(
        "#define Py_LIMITED_API 0x03080000\n#include <Python.h>\n"
        "static PyObject *seven(PyObject *m, PyObject *a) { return PyLong_FromLong(7); }\n"
        'static PyMethodDef methods[] = {{"seven", seven, METH_NOARGS, ""}, {0}};\n'
        'static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "pure", 0, -1, methods};\n'
        "PyMODINIT_FUNC PyInit_pure(void) { return PyModule_Create(&mod); }\n"
    )
    return project


_CPP_TEMPLATE = """\
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdexcept>
#include <string>
#include <vector>

// "0,1,2" for 3; a negative count throws, and the message comes back from the catch
static PyObject *join(PyObject *, PyObject *args) {{
    long n;
    if (!PyArg_ParseTuple(args, "l", &n)) return nullptr;
    try {{
        if (n < 0) throw std::invalid_argument("negative count");
        std::vector<std::string> parts;
        for (long i = 0; i < n; ++i) parts.push_back(std::to_string(i));
        std::string out;
        for (size_t i = 0; i < parts.size(); ++i) out += (i ? "," : "") + parts[i];
        return PyUnicode_FromString(out.c_str());
    }} catch (const std::exception &e) {{
        return PyUnicode_FromString(e.what());
    }}
}}

static PyMethodDef methods[] = {{{{"join", join, METH_VARARGS, nullptr}}, {{nullptr, nullptr, 0, nullptr}}}};
static struct PyModuleDef module = {{PyModuleDef_HEAD_INIT, "{name}", nullptr, -1, methods}};
PyMODINIT_FUNC PyInit_{name}(void) {{ return PyModule_Create(&module); }}
"""
# what a test command checks of make_cpp_project's module: the standard library's strings and
# vectors, and an exception thrown and caught (the C++ runtime's unwinder)
CPP_CHECK = (
    "import cppdemo; assert cppdemo.join(3) == '0,1,2'; assert cppdemo.join(-1) == 'negative count'"
)


def make_cpp_project(root: Path, name: str = "cppdemo") -> Path:
    """Write a setuptools project with one C++ extension module ``name`` (``join``, checked by
    ``CPP_CHECK``, for the default name) into ``root/name``."""
    project = root / name
    project.mkdir(parents=True)
    write_setuptools_pyproject(
        project, name, f'{{ name = "{name}", sources = ["{name}.cpp"], language = "c++" }}'
    )
    (project / f"{name}.cpp").write_text(_CPP_TEMPLATE.format(name=name))
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


# The crates Debian ships as source (librust-pyo3-dev and its dependencies): cargo reads them as
# an offline registry, no crates index needed (none is reachable on the test machines).
DEBIAN_CRATES = Path("/usr/share/cargo/registry")
_OFFLINE_CARGO_CONFIG = """\
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "{registry}"

[net]
offline = true
"""

_RUST_LIB = """\
use pyo3::prelude::*;

/// The answer, computed in Rust.
#[pyfunction]
fn answer() -> usize {{
    42
}}

/// Whether rustc was given `--cfg manywheel_flag` (RUSTFLAGS reached the build).
#[pyfunction]
fn flagged() -> bool {{
    cfg!(manywheel_flag)
}}

#[pymodule]
fn {name}(_py: Python, m: &PyModule) -> PyResult<()> {{
    m.add_function(wrap_pyfunction!(answer, m)?)?;
    m.add_function(wrap_pyfunction!(flagged, m)?)?;
    Ok(())
}}
"""

_CARGO_TOML = """\
[package]
name = "{name}"
version = "0.1.0"
edition = "2021"

[lib]
name = "{name}"
crate-type = ["cdylib"]

[dependencies]
pyo3 = {{ version = "0.17", features = [{features}] }}
"""

_MATURIN_BUILD = """\
[build-system]
requires = ["maturin>=1,<2"]
build-backend = "maturin"
"""

_SETUPTOOLS_RUST_BUILD = """\
[build-system]
requires = ["setuptools>=61", "setuptools-rust>=1.5"]
build-backend = "setuptools.build_meta"
"""

_SETUPTOOLS_RUST_TABLE = """\

[tool.setuptools]
py-modules = []

[[tool.setuptools-rust.ext-modules]]
target = "{name}"
py-limited-api = "auto"
"""


def _offline_config(directory: Path, registry: Path) -> Path:
    """``directory/config.toml``: cargo takes every crate from ``registry``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.toml").write_text(_OFFLINE_CARGO_CONFIG.format(registry=registry))
    return directory


def offline_cargo_home(root: Path, registry: Path = DEBIAN_CRATES) -> Path:
    """A CARGO_HOME whose config makes cargo take every crate from ``registry`` (Debian's)."""
    return _offline_config(root / "cargo-home", registry)


def make_rust_project(
    root: Path,
    name: str = "rdemo",
    *,
    backend: str = "maturin",
    abi3: str = "in-cargo",
    manywheel_config: str = "",
    offline_crates: Path | None = None,
    cargo_extra: str = "",
) -> Path:
    """Write a PyO3 0.17 extension module ``name`` (one function, ``answer() == 42``) into
    ``root/name``, built by ``backend``: "maturin" or "setuptools-rust".

    ``abi3`` says where the stable ABI is asked for: "in-cargo" (pyo3's ``abi3-py37`` feature in
    Cargo.toml, as cryptography does; setuptools-rust also needs bdist_wheel's
    ``py_limited_api``, in setup.cfg), "in-maturin" (``[tool.maturin] features =
    ["pyo3/abi3-py37"]``), or "" (an ordinary, per-CPython extension).

    ``offline_crates``: a project-level ``.cargo/config.toml`` takes every crate from this
    directory (in a container, the image's own copy of Debian's crates). ``cargo_extra``: more
    of Cargo.toml (e.g. a ``[profile.release]``)."""
    project = root / name
    (project / "src").mkdir(parents=True)
    if offline_crates is not None:
        _offline_config(project / ".cargo", offline_crates)
    features = ['"extension-module"']
    if abi3 == "in-cargo":
        features.append('"abi3-py37"')
    cargo_toml = _CARGO_TOML.format(name=name, features=", ".join(features))
    (project / "Cargo.toml").write_text(cargo_toml + textwrap.dedent(cargo_extra))
    (project / "src" / "lib.rs").write_text(_RUST_LIB.format(name=name))
    build = _MATURIN_BUILD if backend == "maturin" else _SETUPTOOLS_RUST_BUILD
    table = ""
    if backend == "maturin" and abi3 == "in-maturin":
        table = '\n[tool.maturin]\nfeatures = ["pyo3/abi3-py37"]\n'
    elif backend == "setuptools-rust":
        table = _SETUPTOOLS_RUST_TABLE.format(name=name)
        if abi3:
            (project / "setup.cfg").write_text("[bdist_wheel]\npy_limited_api = cp37\n")
    (project / "pyproject.toml").write_text(
        build
        + textwrap.dedent(f"""
        [project]
        name = "{name}"
        version = "0.1.0"
        requires-python = ">=3.7"
        """)
        + table
        + "\n[tool.manywheel]\n"
        + textwrap.dedent(manywheel_config)
    )
    return project
