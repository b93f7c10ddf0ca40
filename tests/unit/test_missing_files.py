"""A failed build's missing header or library, read from its log, and what to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from manywheel.diagnose.missing_files import Missing, advice, missing_files
from manywheel.diagnose.package_names import CMAKE, HEADERS, LIBRARIES, PKG_CONFIG, TOOLS
from manywheel.planning.system_packages import PACKAGES


def _log(tmp_path: Path, text: str) -> Path:
    log = tmp_path / "job.log"
    log.write_text(text)
    return log


def test_gcc_clang_and_linker_words_are_read_once_each_in_order(tmp_path: Path) -> None:
    log = _log(
        tmp_path,
        "running build_ext\n"
        "src/c/_cffi_backend.c:15:10: fatal error: ffi.h: No such file or directory\n"
        "   15 | #include <ffi.h>\n"
        "x.c:2:10: fatal error: 'openssl/ssl.h' file not found\n"
        "/usr/bin/ld: cannot find -lyaml: No such file or directory\n"
        "ld.lld: error: unable to find library -lnotalib\n"
        "y.c:1:10: fatal error: ffi.h: No such file or directory\n"
        "cc1: fatal error: missing.c: No such file or directory\n",  # a source, not a header
    )
    assert missing_files(log) == [
        Missing("ffi.h", "libffi"),
        Missing("openssl/ssl.h", "openssl"),
        Missing("-lyaml", "libyaml"),
        Missing("-lnotalib", None),
    ]


def test_only_the_given_part_of_the_log_is_read(tmp_path: Path) -> None:
    before = "a.c:1:10: fatal error: yaml.h: No such file or directory\n"
    log = _log(tmp_path, before + "b.c:1:10: fatal error: zlib.h: No such file or directory\n")
    assert missing_files(log, start=len(before)) == [Missing("zlib.h", "zlib")]
    assert missing_files(log, end=len(before)) == [Missing("yaml.h", "libyaml")]
    assert missing_files(tmp_path / "no-such.log") == []


def test_every_name_maps_to_a_known_system_package() -> None:
    tools = {t for t in TOOLS.values() if t is not None}
    named = set(HEADERS.values()) | set(LIBRARIES.values()) | set(PKG_CONFIG.values())
    assert named | set(CMAKE.values()) | tools <= set(PACKAGES)


def test_pkg_config_meson_cmake_and_a_config_script_are_read(tmp_path: Path) -> None:
    log = _log(
        tmp_path,
        "Package libffi was not found in the pkg-config search path.\n"
        "Package 'libxml-2.0', required by 'virtual:world', not found\n"
        'meson.build:5:6: ERROR: Dependency "yaml-0.1" not found, tried pkgconfig and cmake\n'
        "Run-time dependency openmp found: NO (tried system)\n"  # optional: not counted
        "-- Could NOT find PkgConfig (missing: PKG_CONFIG_EXECUTABLE)\n"  # a status line
        'meson.build:7:6: ERROR: Dependency "gsl" not found, tried pkgconfig\n'
        "CMake Error at /usr/share/cmake/Modules/FindPackageHandleStandardArgs.cmake:230:\n"
        "  Could NOT find ZLIB (missing: ZLIB_LIBRARY ZLIB_INCLUDE_DIR)\n"
        "Error: pg_config executable not found.\n"
        "OSError: mysql_config not found\n"
        "Package was not found, but nothing names it\n",
    )
    assert missing_files(log) == [
        Missing("libffi (pkg-config)", "libffi"),
        Missing("libxml-2.0 (pkg-config)", "libxml2"),
        Missing("yaml-0.1 (pkg-config)", "libyaml"),
        Missing("gsl (pkg-config)", None),
        Missing("ZLIB (CMake)", "zlib"),
        Missing("pg_config", "postgresql"),
        Missing("mysql_config", None),
    ]


def test_pillows_required_dependency_is_read(tmp_path: Path) -> None:
    """Pillow's setup.py says which of its libraries it did not find, by its own names."""
    log = _log(
        tmp_path,
        "The headers or library files could not be found for jpeg,\n"
        "a required dependency when compiling Pillow from source.\n"
        "RequiredDependencyException: jpeg\n"
        "The headers or library files could not be found for zlib,\n"
        "The headers or library files could not be found for nothingknown,\n",
    )
    assert missing_files(log) == [
        Missing("jpeg", "libjpeg"),
        Missing("zlib", "zlib"),
        Missing("nothingknown", None),
    ]
    said = advice(missing_files(log)[:1], native=False)
    assert 'Add system-packages = ["libjpeg"]' in said, said


def test_a_build_tool_that_is_not_there_is_read_and_a_missing_data_file_is_not(
    tmp_path: Path,
) -> None:
    log = _log(
        tmp_path,
        "running cmake '--version'\n"
        "error: [Errno 2] No such file or directory: 'cmake'\n"
        "sh: 1: swig: not found\n"
        "bash: line 1: ninja: command not found\n"
        "FileNotFoundError: [Errno 2] No such file or directory: 'README'\n",
    )
    assert missing_files(log) == [
        Missing("cmake", "cmake"),
        Missing("swig", "swig"),
        Missing("ninja", None),
    ]
    said = advice(missing_files(log), native=False)
    assert said.startswith(
        "The build did not find cmake, swig, ninja: the image does not have them. Add "
        'system-packages = ["cmake", "swig"]'
    )
    assert "For ninja, name the image's package in system-packages" in said


def test_a_build_script_saying_a_tool_is_required_is_read(tmp_path: Path) -> None:
    """A build tool's name, as said (CMake is cmake); not a Python package's or Python's."""
    log = _log(
        tmp_path,
        "RuntimeError: CMake >= 3.5 is required to build pycares.\n"  # pycares' setup.py
        "RuntimeError: nasm must be installed to build the assembly\n"
        "Cython is required to build from a checkout\n"
        "Python 3.9 is required\n"
        "error: SWIG 4.0 or newer is required\n"
        "Exception: pkg-config (>= 0.29) is not installed\n",
    )
    assert missing_files(log) == [
        Missing("cmake", "cmake"),
        Missing("nasm", "nasm"),
        Missing("swig", "swig"),
        Missing("pkg-config", "pkg-config"),
    ]


def test_container_advice_names_the_option_and_each_managers_package() -> None:
    said = advice([Missing("ffi.h", "libffi")], native=False)
    assert said == (
        "The build did not find ffi.h: the image does not have it. Add "
        'system-packages = ["libffi"] to [tool.manywheel] (or MANYWHEEL_SYSTEM_PACKAGES=libffi): '
        "manywheel installs libffi-devel (yum, dnf), libffi-dev (apt-get, apk) with the image's "
        "own package manager before the builds."
    )


def test_container_advice_adds_to_the_system_packages_the_job_has() -> None:
    said = advice([Missing("cmake", "cmake")], native=False, system_packages=["libffi-dev"])
    assert said == (
        "The build did not find cmake: the image does not have it. Add cmake to "
        'system-packages (system-packages = ["libffi-dev", "cmake"] in [tool.manywheel], or '
        'MANYWHEEL_SYSTEM_PACKAGES="libffi-dev cmake"): manywheel installs cmake (yum, dnf, '
        "apt-get, apk) with the image's own package manager before the builds."
    )


def test_container_advice_for_an_unknown_header_and_for_one_already_installed() -> None:
    said = advice([Missing("-lyaml", "libyaml"), Missing("gsl/gsl_math.h", None)], native=False)
    assert 'system-packages = ["libyaml"]' in said
    assert said.endswith(
        "For gsl/gsl_math.h, name the image's package in system-packages (its package "
        "manager's name), or install it in before-all."
    )
    given = advice([Missing("yaml.h", "libyaml")], native=False, system_packages=["yaml-dev"])
    assert given == (
        "The build did not find yaml.h: the image does not have it. "
        "system-packages installs libyaml, yet the build did not find it: check the paths "
        "the build is given (include, library, PATH)."
    )


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        (
            [Missing("ffi.h", "libffi")],
            "The build did not find ffi.h: install it on this host (libffi: libffi-dev (Debian, "
            "Ubuntu) or libffi-devel (Fedora, RHEL)), or build in a container with --platform "
            'podman or docker and system-packages = ["libffi"].',
        ),
        (
            [Missing("nowhere.h", None)],
            "The build did not find nowhere.h: install the package that has it on this host.",
        ),
    ],
)
def test_host_advice_names_the_hosts_packages(missing: list[Missing], expected: str) -> None:
    assert advice(missing, native=True) == expected
    assert advice([], native=True) == ""


def test_host_advice_for_a_known_and_an_unknown_one_names_both() -> None:
    said = advice([Missing("ffi.h", "libffi"), Missing("gsl/gsl_math.h", None)], native=True)
    assert said == (
        "The build did not find ffi.h, gsl/gsl_math.h: install them on this host (libffi: "
        "libffi-dev (Debian, Ubuntu) or libffi-devel (Fedora, RHEL); for gsl/gsl_math.h, the "
        "package that has it), or build in a container with --platform podman or docker and "
        'system-packages = ["libffi"].'
    )
