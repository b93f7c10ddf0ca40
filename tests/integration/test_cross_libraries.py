"""Cross builds and system libraries (#15): zig compiles and links against the target image's
headers and libraries (copied once per image ID), auditwheel grafts the target's library into
the wheel, and the wheel works in the target image under QEMU. A library the image lacks
fails with a note naming it, the arch and the image, and how to provide it."""

from __future__ import annotations

import subprocess
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from tests.integration.containers import IMAGES, manywheel_containers
from tests.integration.test_cross import ONLY, build, elf_machines

pytestmark = pytest.mark.integration
IMAGE = IMAGES["aarch64"]

_SETUP = """\
from setuptools import Extension, setup
{extra}
setup(
    name="{name}",
    version="0.1.0",
    ext_modules=[Extension("{name}", ["{name}.c"], libraries=["{library}"])],
    {setup_args}
)
"""
# the extension links libhelper, a shared library the project builds itself and does not ship
_BUILD_HELPER = """\
import os, shlex, subprocess
from setuptools.command.build_ext import build_ext

class with_helper(build_ext):
    def run(self):
        os.makedirs(self.build_temp, exist_ok=True)
        out = os.path.join(self.build_temp, "libhelper.so")
        cc = shlex.split(os.environ["CC"])
        subprocess.check_call(cc + ["-shared", "-fPIC", "-Wl,-soname,libhelper.so.1",
                                    "-o", out, "helper.c"])
        for ext in self.extensions:
            ext.library_dirs.append(self.build_temp)
        super().run()
"""
_MODULE = """\
#define PY_SSIZE_T_CLEAN
#include <Python.h>
{include}
static PyObject *version(PyObject *self, PyObject *args) {{ return {call}; }}
static PyMethodDef methods[] = {{
    {{"version", version, METH_NOARGS, NULL}},
    {{NULL, NULL, 0, NULL}},
}};
static struct PyModuleDef module = {{PyModuleDef_HEAD_INIT, "{name}", NULL, -1, methods}};
PyMODINIT_FUNC PyInit_{name}(void) {{ return PyModule_Create(&module); }}
"""


def library_project(
    root: Path, name: str, library: str, include: str, call: str, *, helper: bool = False
) -> Path:
    project = root / name
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\n'
        'build-backend = "setuptools.build_meta"\n\n[tool.manywheel]\n'
        # the graft is loaded, not the image's own copy of the library
        f"test-command = \"python -c 'import {name}; print({name}.version()); "
        f'assert \\"{name}.libs/lib{library}\\" in open(\\"/proc/self/maps\\").read()\'"\n'
    )
    (project / "setup.py").write_text(
        _SETUP.format(
            name=name,
            library=library,
            extra=_BUILD_HELPER if helper else "",
            setup_args='cmdclass={"build_ext": with_helper},' if helper else "",
        )
    )
    (project / f"{name}.c").write_text(_MODULE.format(name=name, include=include, call=call))
    if helper:
        (project / "helper.c").write_text('const char *helper_version(void) { return "1"; }\n')
    return project


def in_image(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", "run", "--rm", IMAGE, *argv], capture_output=True, text=True, check=False
    )


def readelf(path: Path, option: str) -> str:
    return subprocess.run(
        ["readelf", option, str(path)], capture_output=True, text=True, check=True
    ).stdout


def test_zlib_is_compiled_against_grafted_and_loaded_from_the_wheel(tmp_path: Path) -> None:
    """The aarch64 test image has zlib's headers and libz.so (python3-dev needs them)."""
    assert (
        in_image("ls", "/usr/include/zlib.h", "/usr/lib/aarch64-linux-gnu/libz.so").returncode == 0
    )
    project = library_project(
        tmp_path, "zdemo", "z", "#include <zlib.h>", "PyUnicode_FromString(zlibVersion())"
    )
    proc = build(project, tmp_path, "podman")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(tested," in proc.stderr
    (wheel,) = (tmp_path / "out").glob("*.whl")
    tags = {str(t) for t in parse_wheel_filename(wheel.name)[3]}
    assert tags == {"cp311-cp311-manylinux2014_aarch64", "cp311-cp311-manylinux_2_17_aarch64"}
    with zipfile.ZipFile(wheel) as zf:
        (grafted,) = [n for n in zf.namelist() if n.startswith("zdemo.libs/libz")]
        lib = Path(zf.extract(grafted, tmp_path / "unpacked"))
    assert "Machine:                           AArch64" in readelf(lib, "-h")
    assert elf_machines(wheel, tmp_path) == {
        "zdemo.cpython-311-aarch64-linux-gnu.so": "AArch64",
        grafted: "AArch64",
    }
    module = tmp_path / "unpacked" / "zdemo.cpython-311-aarch64-linux-gnu.so"
    assert f"Shared library: [{Path(grafted).name}]" in readelf(module, "-d")
    (log,) = (tmp_path / "logs").rglob(f"{ONLY}.log")
    text = log.read_text()
    zlib_version = in_image("sh", "-c", "readlink /usr/lib/aarch64-linux-gnu/libz.so.1").stdout
    assert zlib_version.strip().startswith("libz.so.")
    # the version the image's library reports, printed by the test under QEMU
    assert f"\n{zlib_version.strip().removeprefix('libz.so.')}\n" in text
    assert "system headers and libraries from " in text
    assert manywheel_containers("podman") == []


def test_a_library_the_image_lacks_fails_with_a_note_not_a_traceback(tmp_path: Path) -> None:
    """At link time (-lgdbm: the image has no libgdbm-dev) and at the repair (a shared library
    the project builds and does not ship: auditwheel finds it nowhere)."""
    assert in_image("sh", "-c", "ls /usr/lib/aarch64-linux-gnu/libgdbm*").returncode != 0
    roots = {kind: tmp_path / kind for kind in ("link", "repair")}
    projects = {
        "link": library_project(roots["link"], "gdemo", "gdbm", "", 'PyUnicode_FromString("none")'),
        "repair": library_project(
            roots["repair"],
            "hdemo",
            "helper",
            "const char *helper_version(void);",
            "PyUnicode_FromString(helper_version())",
            helper=True,
        ),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        procs = dict(zip(roots, pool.map(lambda k: build(projects[k], roots[k], "podman"), roots)))
    for kind, proc in procs.items():
        assert proc.returncode != 0, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        (log,) = (roots[kind] / "logs").rglob(f"{ONLY}.log")
        assert "Traceback" not in log.read_text()
    link_log = next((roots["link"] / "logs").rglob(f"{ONLY}.log")).read_text()
    assert f"manywheel: libgdbm (-lgdbm) is not in the target image {IMAGE}:" in link_log
    assert "named in the manylinux-aarch64-image option" in link_log
    repair = procs["repair"].stderr
    assert "repair failed" in repair
    note = (
        f"the wheel needs libhelper.so.1, and the target image {IMAGE} has no aarch64 "
        "libhelper.so.1 to graft into it"
    )
    assert note in " ".join(repair.split())
    assert list((roots["repair"] / "out").glob("*.whl")) == []
