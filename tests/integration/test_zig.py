"""The zig toolchain for real: manylinux2014 wheels on this glibc 2.36 host, no container,
checked by auditwheel and by importing them on an older distro (Debian bullseye, glibc 2.31)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
import zipfile
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from manywheel.planning.interpreters import discover, host_arch
from tests.elf import auditwheel_show, extension_module, glibc_versions, needed
from tests.projects import CPP_CHECK, make_cpp_project
from tests.running import manywheel

pytestmark = pytest.mark.integration

HOST_PYTHONS = sorted(
    f"cp3{i.identifier.version[1]}"
    for i in discover()
    if i.identifier.version >= (3, 8)
    and not i.identifier.free_threaded
    and not i.identifier.is_pypy
)
BULLSEYE = (
    Path(os.environ.get("MANYWHEEL_TEST_IMAGE_CACHE", "/var/cache/manywheel-test-images"))
    / "bullseye-python3-v1"
)


def cython_project(root: Path) -> Path:
    """A Cython extension calling stat(): with glibc >= 2.33 headers that is stat@GLIBC_2.33."""
    project = root / "statdemo"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        textwrap.dedent("""\
        [build-system]
        requires = ["setuptools>=61", "Cython>=3"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "statdemo"
        version = "1.0"
        requires-python = ">=3.8"

        [tool.setuptools]
        ext-modules = [{ name = "statdemo", sources = ["statdemo.pyx"] }]
        py-modules = []

        [tool.manywheel]
        test-command = "python -c 'import statdemo, sys; assert statdemo.size(sys.executable) > 0'"
        """)
    )
    (project / "statdemo.pyx").write_text(
        textwrap.dedent("""\
        from posix.stat cimport stat, struct_stat

        def size(path):
            cdef struct_stat st
            if stat(os_path(path), &st) != 0:
                raise OSError(path)
            return st.st_size

        def os_path(path):
            return path.encode() if isinstance(path, str) else path
        """)
    )
    return project


def auditwheel_glibc(wheel: Path) -> tuple[int, int]:
    """The glibc of the policy `auditwheel show` says the wheel is consistent with."""
    said = auditwheel_show(wheel)
    match = re.search(
        r'consistent with the following platform tag: "manylinux_(\d+)_(\d+)_x86_64"', said
    )
    assert match, said
    return int(match[1]), int(match[2])


def _older(version: str, limit: tuple[int, int]) -> bool:
    major, minor = version.removeprefix("GLIBC_").split(".")[:2]
    return (int(major), int(minor)) <= limit


@pytest.fixture(scope="session")
def bullseye() -> Path:
    """A Debian bullseye root filesystem with python3 (3.9), made once per machine."""
    if not (BULLSEYE / "usr" / "bin" / "python3").exists():
        tmp = BULLSEYE.with_name(BULLSEYE.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        mirror = ""
        sources = Path("/etc/apt/sources.list.d/debian.sources")
        if sources.exists():
            for line in sources.read_text().splitlines():
                if line.startswith("URIs:"):
                    mirror = line.split()[1]
                    break
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=python3",
                "bullseye",
                str(tmp),
                *([mirror] if mirror else []),
            ],
            check=True,
            capture_output=True,
        )
        tmp.rename(BULLSEYE)
    return BULLSEYE


def test_cython_project_for_every_host_python(tmp_path: Path, bullseye: Path) -> None:
    project = cython_project(tmp_path)
    out = tmp_path / "zig"
    proc = manywheel("build", str(project), "-o", str(out), "--toolchain", "zig")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = {next(iter(parse_wheel_filename(w.name)[3])).interpreter: w for w in out.glob("*.whl")}
    assert sorted(wheels) == HOST_PYTHONS
    for wheel in wheels.values():
        assert "manylinux2014_x86_64" in wheel.name
        assert auditwheel_glibc(wheel) <= (2, 17)
        assert all(_older(v, (2, 17)) for v in glibc_versions(wheel, tmp_path))

    # the same project with the host's gcc needs glibc 2.33 (stat) and is not manylinux2014
    native = tmp_path / "gcc"
    proc = manywheel("build", str(project), "-o", str(native), "--only", "cp39-manylinux_x86_64")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (gcc_wheel,) = native.glob("*.whl")
    assert "manylinux2014" not in gcc_wheel.name
    assert "GLIBC_2.33" in glibc_versions(gcc_wheel, tmp_path)
    explained = manywheel("explain", str(gcc_wheel)).stdout
    assert "stat64@GLIBC_2.33 from libc.so.6 needs GLIBC 2.33, newer than the 2.17" in explained

    # on bullseye (glibc 2.31, Python 3.9) the zig wheel works, the gcc one does not load
    for label, wheel in (("zig", wheels["cp39"]), ("gcc", gcc_wheel)):
        site = bullseye / "opt" / f"wheel-{label}"
        shutil.rmtree(site, ignore_errors=True)
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(site)
        run = subprocess.run(
            [
                "chroot",
                str(bullseye),
                "python3",
                "-c",
                f"import sys; sys.path.insert(0, '/opt/wheel-{label}'); "
                "import statdemo; print(statdemo.size('/usr/bin/python3'))",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        shutil.rmtree(site)
        if label == "zig":
            assert run.returncode == 0, run.stderr
            assert int(run.stdout) > 0
        else:
            assert run.returncode != 0
            assert "GLIBC_2.33' not found" in run.stderr


@pytest.mark.parametrize("name", ["markupsafe", "msgpack"])
def test_real_sdists(name: str, sdists: Path, tmp_path: Path) -> None:
    checks = {
        "markupsafe": "python -c \"from markupsafe import _speedups, escape; assert escape('<') == '&lt;'\"",
        "msgpack": 'python -c "import msgpack; from msgpack import _cmsgpack; assert msgpack.unpackb(msgpack.packb([1])) == [1]"',
    }
    sdist = next(sdists.glob(f"{name}-*.tar.gz"))
    out = tmp_path / name
    proc = manywheel(
        "build", str(sdist), "-o", str(out), "--toolchain", "zig",
        MANYWHEEL_TEST_COMMAND=checks[name],
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = sorted(out.glob("*.whl"))
    assert len(wheels) >= 5
    for wheel in wheels:
        assert "manylinux2014_x86_64" in wheel.name
        assert all(_older(v, (2, 17)) for v in glibc_versions(wheel, tmp_path))
    assert proc.stderr.count("(tested,") == len(wheels)


def test_zig_with_containers_is_for_foreign_arches(tmp_path: Path) -> None:
    project = cython_project(tmp_path)
    proc = manywheel("build", str(project), "--toolchain", "zig", "--platform", "podman")
    assert proc.returncode == 2
    assert (
        "--toolchain: with --platform podman, the zig toolchain cross-compiles foreign arches "
        "on the host (tested in their image under QEMU), but only this machine's arch "
        f"({host_arch()}) is selected. Use --platform native --toolchain zig to build for it "
        "without a container, or add foreign arches (--archs aarch64)."
    ) in proc.stderr
    bad = manywheel(
        "build",
        str(project),
        "--toolchain",
        "zig",
        env={**os.environ, "MANYWHEEL_MANYLINUX_POLICY": "musllinux_1_2"},
    )
    assert bad.returncode == 2
    assert "is not a manylinux policy the zig toolchain can target" in bad.stderr


def test_zig_refuses_musllinux_with_the_way_out(tmp_path: Path) -> None:
    project = cython_project(tmp_path)
    selection = {"MANYWHEEL_BUILD": "cp3*-manylinux_x86_64 cp3*-musllinux_x86_64"}
    env = {**os.environ, **selection}
    proc = manywheel("build", str(project), "--toolchain", "zig", env=env)
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        "manywheel: error: MANYWHEEL_BUILD: 'cp3*-musllinux_x86_64' selects musllinux wheels, "
        "which the zig toolchain does not build"
    ), proc.stderr
    assert "--platform podman or docker" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cpp_extension_links_libcxx_statically(tmp_path: Path) -> None:
    project = make_cpp_project(tmp_path)
    out = tmp_path / "out"
    proc = manywheel(
        "build",
        str(project),
        "-o",
        str(out),
        "--toolchain",
        "zig",
        "--only",
        "cp312-manylinux_x86_64",
        MANYWHEEL_TEST_COMMAND=f'python -c "{CPP_CHECK}"',
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("*.whl")
    assert "manylinux2014_x86_64" in wheel.name
    assert auditwheel_glibc(wheel) <= (2, 17)
    with zipfile.ZipFile(wheel) as zf:
        assert not any(".libs/" in n for n in zf.namelist())  # nothing vendored
    libraries = needed(extension_module(wheel, tmp_path / "x"))
    assert "libc.so.6" in libraries  # read for real: a C++ module links the C library
    assert [lib for lib in libraries if "c++" in lib] == []  # libc++ is linked in statically


# what Debian's, Ubuntu's and Fedora's packaging put in CFLAGS/LDFLAGS; zig rejects several
DISTRO_CFLAGS = (
    "-O2 -flto=auto -ffat-lto-objects -fstack-clash-protection -fcf-protection "
    "-specs=/usr/lib/rpm/redhat/redhat-hardened-cc1 -march=x86-64 -mtune=generic"
)
DISTRO_LDFLAGS = "-Wl,-O1,-Bsymbolic-functions -Wl,-z,relro -flto=auto -Wl,--exclude-libs,ALL"
_ADDER_C = """\
#include <Python.h>
long helper_add(long, long);
static PyObject *add(PyObject *self, PyObject *args) {
    long x, y;
    if (!PyArg_ParseTuple(args, "ll", &x, &y)) return NULL;
    return PyLong_FromLong(helper_add(x, y));
}
static PyMethodDef methods[] = {{"add", add, METH_VARARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "adder", NULL, -1, methods};
PyMODINIT_FUNC PyInit_adder(void) { return PyModule_Create(&module); }
"""
_HELPER_CPP = """\
#include <numeric>
#include <vector>
extern "C" long helper_add(long a, long b) {
    std::vector<long> v{a, b};
    return std::accumulate(v.begin(), v.end(), 0L);
}
"""
_BACKENDS = {
    "meson": (
        '["meson-python>=0.15"]',
        "mesonpy",
        {
            "meson.build": """\
            project('adder', 'c', 'cpp')
            py = import('python').find_installation(pure: false)
            helper = static_library('helper', 'helper.cpp')
            py.extension_module('adder', 'adder.c', link_with: helper, install: true)
            """
        },
    ),
    "cmake": (
        '["scikit-build-core>=0.8"]',
        "scikit_build_core.build",
        {
            "CMakeLists.txt": """\
            cmake_minimum_required(VERSION 3.15)
            project(adder LANGUAGES C CXX)
            find_package(Python COMPONENTS Interpreter Development.Module REQUIRED)
            add_library(helper STATIC helper.cpp)
            set_property(TARGET helper PROPERTY POSITION_INDEPENDENT_CODE ON)
            Python_add_library(adder MODULE adder.c WITH_SOABI)
            target_link_libraries(adder PRIVATE helper)
            install(TARGETS adder DESTINATION .)
            """
        },
    ),
    "setuptools": (
        '["setuptools>=61"]',
        "setuptools.build_meta",
        {
            "setup.py": 'from setuptools import Extension, setup\nsetup(ext_modules=[Extension("adder", ["adder.c", "helper.cpp"])])\n'
        },
    ),
}


def adder_project(root: Path, backend: str, manywheel_config: str = "") -> Path:
    """A C + C++ project 'adder' built by meson-python, scikit-build-core or setuptools."""
    requires, build_backend, files = _BACKENDS[backend]
    project = root / "adder"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        textwrap.dedent(f"""\
        [build-system]
        requires = {requires}
        build-backend = "{build_backend}"

        [project]
        name = "adder"
        version = "1.0"

        [tool.manywheel]
        test-command = "python -c 'import adder; assert adder.add(2, 3) == 5'"
        """)
        + manywheel_config
    )
    (project / "adder.c").write_text(_ADDER_C)
    (project / "helper.cpp").write_text(_HELPER_CPP)
    for name, text in files.items():
        (project / name).write_text(textwrap.dedent(text))
    return project


@pytest.mark.parametrize("backend", sorted(_BACKENDS))
def test_meson_cmake_setuptools_with_distro_flags(backend: str, tmp_path: Path) -> None:
    """meson and CMake pick up the zig wrappers from CC/CXX too; GCC-only flags are translated."""
    distro = (
        f'environment = {{ CFLAGS = "{DISTRO_CFLAGS}", CXXFLAGS = "{DISTRO_CFLAGS}", '
        f'LDFLAGS = "{DISTRO_LDFLAGS}" }}\n'
    )
    project = adder_project(tmp_path, backend, distro)
    out = tmp_path / "out"
    proc = manywheel(
        "build",
        str(project),
        "-o",
        str(out),
        "--toolchain",
        "zig",
        "--only",
        "cp312-manylinux_x86_64",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("*.whl")
    assert "manylinux2014_x86_64" in wheel.name
    assert auditwheel_glibc(wheel) <= (2, 17)
    assert "(tested," in proc.stderr


@pytest.mark.parametrize("include", [True, False], ids=["header", "library"])
def test_host_system_library_fails_clearly(include: bool, tmp_path: Path) -> None:
    """-lz of the host cannot be used: the failure says so, and what to do instead."""
    if not Path("/usr/include/zlib.h").is_file():
        pytest.skip("zlib1g-dev is not installed: no host library to reach for")
    project = tmp_path / "zver"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        textwrap.dedent("""\
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "zver"
        version = "1.0"
        """)
    )
    (project / "setup.py").write_text(
        'from setuptools import Extension, setup\nsetup(ext_modules=[Extension("zver", ["zver.c"], libraries=["z"])])\n'
    )
    declare = "#include <zlib.h>" if include else "const char *zlibVersion(void);"
    (project / "zver.c").write_text(
        declare
        + textwrap.dedent("""
        #include <Python.h>
        static PyObject *v(PyObject *s, PyObject *a) { return PyUnicode_FromString(zlibVersion()); }
        static PyMethodDef m[] = {{"v", v, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
        static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "zver", NULL, -1, m};
        PyMODINIT_FUNC PyInit_zver(void) { return PyModule_Create(&mod); }
        """)
    )
    proc = manywheel(
        "build",
        str(project),
        "--toolchain",
        "zig",
        "--only",
        "cp312-manylinux_x86_64",
        "-o",
        str(tmp_path / "out"),
    )
    assert proc.returncode == 1
    said = " ".join((proc.stdout + proc.stderr).split())  # rich wraps long lines
    if include:
        assert (
            "manywheel: zlib.h is a header of the host (/usr/include/zlib.h); --toolchain zig "
            "does not use the host's headers and libraries, which are built for the host's "
            "glibc, not glibc 2.17." in said
        )
    else:
        assert (
            "manywheel: --toolchain zig cannot link the host's system library -lz: zig links "
            "against glibc 2.17 and its own libc++ only. Build libz from source" in said
        )
