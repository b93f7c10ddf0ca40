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

from tests.elf import elf_machines, header_field, needed, readelf
from tests.integration.containers import IMAGES, image_env, manywheel_containers
from tests.integration.test_cross import ONLY, build
from tests.running import manywheel

pytestmark = pytest.mark.integration
IMAGE = IMAGES["aarch64"]

_SETUP = """\
from setuptools import Extension, setup
{extra}
setup(
    name="{name}",
    version="0.1.0",
    ext_modules=[Extension("{name}", ["{name}.c"], libraries={libraries!r})],
    {setup_args}
)
"""
# the extension links libhelper, a shared library the project builds itself and does not ship
_BUILD_HELPER = """\
import os, shlex, subprocess
from setuptools.command.build_ext import build_ext

class with_helper(build_ext):
    def run(self):
        where = os.environ.get("HELPER_DIR") or self.build_temp
        os.makedirs(where, exist_ok=True)
        out = os.path.join(where, "libhelper.so.1")
        cc = shlex.split(os.environ["CC"])
        subprocess.check_call(cc + ["-shared", "-fPIC", "-Wl,-soname,libhelper.so.1",
                                    "-o", out, "helper.c"])
        if not os.path.lexists(out[:-2]):
            os.symlink("libhelper.so.1", out[:-2])
        for ext in self.extensions:
            ext.library_dirs.append(where)
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
    root: Path,
    name: str,
    libraries: list[str],
    include: str,
    call: str,
    *,
    helper: bool = False,
    config: str = "",
) -> Path:
    project = root / name
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\n'
        'build-backend = "setuptools.build_meta"\n\n[tool.manywheel]\n' + config
    )
    (project / "setup.py").write_text(
        _SETUP.format(
            name=name,
            libraries=libraries,
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


# The test image is Debian 12: its libcrypt needs GLIBC_2.36, so the wheel that carries it is
# manylinux_2_36 (zig targets that glibc). The test checks that the grafted copy is the one
# loaded, not the image's own (the image has libcrypt.so.1 too).
CRYPT_CONFIG = (
    'manylinux-policy = "manylinux_2_36"\n'
    "test-command = '''python -c 'import cdemo; z, c = cdemo.version(); print(z); "
    'assert "saltsalt" in c and len(c) > 40, c; '
    """assert "cdemo.libs/libcrypt" in open("/proc/self/maps").read()' '''\n"""
)


def test_image_libraries_are_compiled_against_and_grafted(tmp_path: Path) -> None:
    """zlib (headers and libz.so from the image; libz.so.1 is on the manylinux policy's list,
    so it stays a system dependency, as a repair in the image leaves it) and libcrypt (not on
    the list: auditwheel grafts the image's aarch64 copy into the wheel)."""
    have = "ls /usr/include/zlib.h /usr/lib/aarch64-linux-gnu/libz.so /usr/include/crypt.h"
    assert in_image("sh", "-c", f"{have} /usr/lib/aarch64-linux-gnu/libcrypt.so").returncode == 0
    call = 'Py_BuildValue("ss", zlibVersion(), crypt("manywheel", "$6$saltsalt$"))'
    project = library_project(
        tmp_path,
        "cdemo",
        ["z", "crypt"],
        "#include <zlib.h>\n#include <crypt.h>",
        call,
        config=CRYPT_CONFIG,
    )
    proc = build(project, tmp_path, "podman")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(tested," in proc.stderr
    (wheel,) = (tmp_path / "out").glob("*.whl")
    assert {str(t) for t in parse_wheel_filename(wheel.name)[3]} == {
        "cp311-cp311-manylinux_2_36_aarch64"
    }
    with zipfile.ZipFile(wheel) as zf:
        (grafted,) = [n for n in zf.namelist() if n.startswith("cdemo.libs/lib")]
        lib = Path(zf.extract(grafted, tmp_path / "unpacked"))
    assert Path(grafted).name.startswith("libcrypt-")
    assert header_field(readelf(lib, "-h"), "Machine") == "AArch64"
    module = tmp_path / "unpacked" / "cdemo.cpython-311-aarch64-linux-gnu.so"
    assert elf_machines(wheel, tmp_path / "unpacked") == {module.name: "AArch64"}  # *.so members
    assert lib.name in needed(module)
    assert "libz.so.1" in needed(module)
    (log,) = (tmp_path / "logs").rglob(f"{ONLY}.log")
    text = log.read_text()
    assert "system headers and libraries from " in text
    # the image's zlib version, printed by the test under QEMU
    libz = in_image("readlink", "/usr/lib/aarch64-linux-gnu/libz.so.1").stdout.strip()
    assert f"\n{libz.removeprefix('libz.so.')}\n" in text
    assert manywheel_containers("podman") == []


def test_a_library_the_image_lacks_fails_with_a_note_not_a_traceback(tmp_path: Path) -> None:
    """At link time (-lgdbm: the image has no libgdbm-dev) and at the repair (a shared library
    the project builds and does not ship: auditwheel finds it nowhere)."""
    assert in_image("sh", "-c", "ls /usr/lib/aarch64-linux-gnu/libgdbm*").returncode != 0
    roots = {kind: tmp_path / kind for kind in ("link", "repair")}
    projects = {
        "link": library_project(
            roots["link"], "gdemo", ["gdbm"], "", 'PyUnicode_FromString("none")'
        ),
        "repair": library_project(
            roots["repair"],
            "hdemo",
            ["helper"],
            "const char *helper_version(void);",
            "PyUnicode_FromString(helper_version())",
            helper=True,
        ),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        procs = dict(zip(roots, pool.map(lambda k: build(projects[k], roots[k], "podman"), roots)))
    for proc in procs.values():
        assert proc.returncode != 0, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
    link_log = next((roots["link"] / "logs").rglob(f"{ONLY}.log")).read_text()
    assert f"manywheel: libgdbm (-lgdbm) is not in the target image {IMAGE}:" in link_log
    assert "named in the manylinux-aarch64-image option" in link_log
    repair = procs["repair"].stdout + procs["repair"].stderr
    repair_log = next((roots["repair"] / "logs").rglob(f"{ONLY}.log")).read_text()
    assert "Traceback" not in repair_log  # auditwheel's, replaced by the note
    assert "repair failed" in repair
    note = (
        f"the wheel needs libhelper.so.1, and the target image {IMAGE} has no aarch64 "
        "libhelper.so.1 to graft into it"
    )
    assert note in " ".join(repair.split())
    assert list((roots["repair"] / "out").glob("*.whl")) == []


def test_the_notes_way_for_a_project_library_grafts_it(tmp_path: Path) -> None:
    """What the repair note says for a library the project builds: name its directory in
    AUDITWHEEL_LD_LIBRARY_PATH (the 'environment' option); then it is grafted."""
    helper_dir = tmp_path / "helper-lib"
    project = library_project(
        tmp_path,
        "hdemo",
        ["helper"],
        "const char *helper_version(void);",
        "PyUnicode_FromString(helper_version())",
        helper=True,
    )
    env = image_env("podman", tmp_path)
    env["MANYWHEEL_ENVIRONMENT"] = (
        f"HELPER_DIR={helper_dir} AUDITWHEEL_LD_LIBRARY_PATH={helper_dir}"
    )
    proc = manywheel(
        "build", str(project), "-o", str(tmp_path / "out"), "--toolchain", "zig",
        "--archs", "aarch64", "--only", ONLY, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = (tmp_path / "out").glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        (grafted,) = [n for n in zf.namelist() if n.startswith("hdemo.libs/lib")]
        lib = Path(zf.extract(grafted, tmp_path / "unpacked"))
    assert Path(grafted).name.startswith("libhelper-")
    assert header_field(readelf(lib, "-h"), "Machine") == "AArch64"
