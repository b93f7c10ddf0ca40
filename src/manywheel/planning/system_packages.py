"""``system-packages``: library names mapped to each package manager's development packages.

A known library may be named as any of the managers names it (``libffi-devel``, as a
cibuildwheel script's ``yum install`` has it, or ``libffi-dev``): each is the library, and is
installed under the image's manager's own name."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from manywheel.config.identifiers import PlatformKind

# name -> (yum/dnf, apt, apk)
PACKAGES: dict[str, tuple[str, str, str]] = {
    "libffi": ("libffi-devel", "libffi-dev", "libffi-dev"),
    "libyaml": ("libyaml-devel", "libyaml-dev", "yaml-dev"),
    "openssl": ("openssl-devel", "libssl-dev", "openssl-dev"),
    "zlib": ("zlib-devel", "zlib1g-dev", "zlib-dev"),
    "bzip2": ("bzip2-devel", "libbz2-dev", "bzip2-dev"),
    "xz": ("xz-devel", "liblzma-dev", "xz-dev"),
    "sqlite": ("sqlite-devel", "libsqlite3-dev", "sqlite-dev"),
    "libxml2": ("libxml2-devel", "libxml2-dev", "libxml2-dev"),
    "libxslt": ("libxslt-devel", "libxslt1-dev", "libxslt-dev"),
    "libjpeg": ("libjpeg-turbo-devel", "libjpeg-dev", "libjpeg-turbo-dev"),
    "libpng": ("libpng-devel", "libpng-dev", "libpng-dev"),
    "freetype": ("freetype-devel", "libfreetype-dev", "freetype-dev"),
    "libcurl": ("libcurl-devel", "libcurl4-openssl-dev", "curl-dev"),
    "readline": ("readline-devel", "libreadline-dev", "readline-dev"),
    "ncurses": ("ncurses-devel", "libncurses-dev", "ncurses-dev"),
    "gmp": ("gmp-devel", "libgmp-dev", "gmp-dev"),
    "mpfr": ("mpfr-devel", "libmpfr-dev", "mpfr-dev"),
    "openblas": ("openblas-devel", "libopenblas-dev", "openblas-dev"),
    "hdf5": ("hdf5-devel", "libhdf5-dev", "hdf5-dev"),
    "postgresql": ("libpq-devel", "libpq-dev", "libpq-dev"),
    "cmake": ("cmake", "cmake", "cmake"),
    "pkg-config": ("pkgconfig", "pkg-config", "pkgconf"),
    "swig": ("swig", "swig", "swig"),
    "nasm": ("nasm", "nasm", "nasm"),
    "make": ("make", "make", "make"),
    "gfortran": ("gcc-gfortran", "gfortran", "gfortran"),
    "bison": ("bison", "bison", "bison"),
    "flex": ("flex", "flex", "flex"),
    "autoconf": ("autoconf", "autoconf", "autoconf"),
    "automake": ("automake", "automake", "automake"),
    "libtool": ("libtool", "libtool", "libtool"),
}
# a known library's name, and each manager's name of it -> the library (no name is two
# libraries': tested)
_LIBRARY: dict[str, str] = {
    name: library for library, names in PACKAGES.items() for name in (library, *names)
}
MANAGERS = ("dnf", "yum", "apt-get", "apk")
# musl images: only apk has packages built against musl; a Debian or Fedora package manager in
# a musl image would install glibc libraries and headers that musl builds cannot use.
MUSL_MANAGERS = ("apk",)


def is_known(name: str) -> bool:
    """Whether ``name`` is a known library's, or a manager's name of one."""
    return name in _LIBRARY


def library(name: str) -> str:
    """The known library ``name`` names (``libffi-devel`` -> ``libffi``)."""
    return _LIBRARY[name]


def package_names(names: Sequence[str], manager: str) -> list[str]:
    """Map known names (a library's, or any manager's name of it) for ``manager``; unknown
    names pass through unchanged."""
    column = {"dnf": 0, "yum": 0, "apt-get": 1, "apk": 2}[manager]
    return [PACKAGES[_LIBRARY[n]][column] if n in _LIBRARY else n for n in names]


def install_script(names: Sequence[str], kind: PlatformKind = "manylinux") -> str:
    """A POSIX shell script that finds the image's package manager and installs the packages.

    On failure it prints which packages and which manager, and exits non-zero.
    """
    managers = MUSL_MANAGERS if kind == "musllinux" else MANAGERS
    branches = []
    for manager in managers:
        pkgs = " ".join(shlex.quote(p) for p in package_names(names, manager))
        if manager == "apt-get":
            install = (
                "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y "
                f"-q --no-install-recommends {pkgs}"
            )
        elif manager == "apk":
            install = f"apk add --no-cache {pkgs}"
        else:
            install = f"{manager} install -y {pkgs}"
        branches.append(
            f"if command -v {manager} >/dev/null 2>&1; then\n"
            f'  {install} || {{ echo "manywheel: system-packages: {manager} could not install: '
            f'{pkgs}" >&2; exit 3; }}\n  exit 0\nfi'
        )
    tail = (
        'echo "manywheel: system-packages: no package manager found (tried '
        f'{" ".join(managers)})" >&2; exit 4'
    )
    return "\n".join([*branches, tail]) + "\n"
