"""A header the compiler did not find, a library the linker did not, or a build tool the build
did not, read from a build's log, and the ``system-packages`` entry that has it: the commonest
failure of a first container build (``fatal error: ffi.h: No such file or directory``: the
image lacks libffi-devel; ``No such file or directory: 'cmake'``: a custom image lacks cmake).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from manywheel.files import log_text
from manywheel.planning.system_packages import PACKAGES, is_known, library

# gcc: ``x.c:1:10: fatal error: ffi.h: No such file or directory``; clang: ``fatal error:
# 'ffi.h' file not found``
# (a header's name: a missing source file is not a package's to give)
_HEADER = re.compile(
    r"fatal error: (?:'([^'\s]+\.h(?:h|pp|xx)?)' file not found"
    r"|([^\s:']+\.h(?:h|pp|xx)?): No such file or directory)"
)
# GNU ld and lld: ``/usr/bin/ld: cannot find -lffi`` / ``ld.lld: error: unable to find
# library -lffi``
_LIBRARY = re.compile(r"\bld(?:\.\w+)?: (?:cannot find|error: unable to find library) -l([^\s:]+)")

# a tool the build ran that is not there: Python's subprocess (``[Errno 2] No such file or
# directory: 'cmake'``), dash (``sh: 1: cmake: not found``), bash (``cmake: command not
# found``); only the names of build tools are taken (a missing data file says the same)
_TOOL = re.compile(
    r"No such file or directory: '([\w.+-]+)'"
    r"|\bsh: \d+: ([\w.+-]+): not found"
    r"|\b([\w.+-]+): command not found"
)
_NOT_FOUND = re.compile(r"\bsh: \d+: ([^\s:]+): not found|\b([^\s:]+): command not found")
# build tools -> the system-packages entry with each (None: none known; build requirements
# from PyPI have cmake, ninja, meson and swig too)
TOOLS: dict[str, str | None] = {
    "cmake": "cmake",
    "pkg-config": "pkg-config",
    "swig": "swig",
    "nasm": "nasm",
    "make": "make",
    "gfortran": "gfortran",
    "bison": "bison",
    "flex": "flex",
    "autoconf": "autoconf",
    "automake": "automake",
    "libtool": "libtool",
    "ninja": None,
    "meson": None,
}

# a header (or the directory its name starts with) -> the system-packages library with it
HEADERS: dict[str, str] = {
    "ffi.h": "libffi",
    "yaml.h": "libyaml",
    "openssl/": "openssl",
    "zlib.h": "zlib",
    "bzlib.h": "bzip2",
    "lzma.h": "xz",
    "sqlite3.h": "sqlite",
    "libxml/": "libxml2",
    "libxslt/": "libxslt",
    "libexslt/": "libxslt",
    "jpeglib.h": "libjpeg",
    "png.h": "libpng",
    "ft2build.h": "freetype",
    "freetype/": "freetype",
    "curl/": "libcurl",
    "readline/": "readline",
    "ncurses.h": "ncurses",
    "curses.h": "ncurses",
    "gmp.h": "gmp",
    "mpfr.h": "mpfr",
    "cblas.h": "openblas",
    "hdf5.h": "hdf5",
    "libpq-fe.h": "postgresql",
}
# a library's -l name -> the system-packages library with it
LIBRARIES: dict[str, str] = {
    "ffi": "libffi",
    "yaml": "libyaml",
    "ssl": "openssl",
    "crypto": "openssl",
    "z": "zlib",
    "bz2": "bzip2",
    "lzma": "xz",
    "sqlite3": "sqlite",
    "xml2": "libxml2",
    "xslt": "libxslt",
    "exslt": "libxslt",
    "jpeg": "libjpeg",
    "png": "libpng",
    "png16": "libpng",
    "freetype": "freetype",
    "curl": "libcurl",
    "readline": "readline",
    "ncurses": "ncurses",
    "ncursesw": "ncurses",
    "gmp": "gmp",
    "mpfr": "mpfr",
    "openblas": "openblas",
    "hdf5": "hdf5",
    "pq": "postgresql",
}


@dataclass(frozen=True)
class Missing:
    name: str  # as the build's log says it: "ffi.h", "-lffi"
    library: str | None  # the system-packages library with it, when known


def missing_files(log: Path, start: int = 0, end: int | None = None) -> list[Missing]:
    """Headers and libraries the log (its bytes ``start`` to ``end``) says were not found, in
    the order it first says them."""
    text = log_text(log, start, end)
    found: dict[str, Missing] = {}
    for line in text.splitlines():
        header = _HEADER.search(line)
        if header:
            name = header.group(1) or header.group(2)
            found.setdefault(name, Missing(name, _header_library(name)))
        library = _LIBRARY.search(line)
        if library:
            name = f"-l{library.group(1)}"
            found.setdefault(name, Missing(name, LIBRARIES.get(library.group(1))))
        tool = _TOOL.search(line)
        if tool:
            name = next(g for g in tool.groups() if g)
            if name in TOOLS:
                found.setdefault(name, Missing(name, TOOLS[name]))
    return list(found.values())


def commands_not_found(log: Path, start: int = 0, end: int | None = None) -> list[str]:
    """The commands a shell said it did not find (``sh: 1: python3.14: not found``, exit
    status 127), in the log's bytes ``start`` to ``end``: any name, not only build tools'."""
    text = log_text(log, start, end)
    found: dict[str, None] = {}
    for line in text.splitlines():
        said = _NOT_FOUND.search(line)
        if said:
            found.setdefault(next(g for g in said.groups() if g), None)
    return list(found)


def _header_library(name: str) -> str | None:
    for header, known in HEADERS.items():
        if name == header or (header.endswith("/") and name.startswith(header)):
            return known
    return None


def advice(missing: Sequence[Missing], *, native: bool, system_packages: Sequence[str] = ()) -> str:
    """What to do about ``missing`` (a sentence or three; "" when nothing is), for a build on
    the host (``native``) or in a container given ``system_packages`` (the option's names)."""
    if not missing:
        return ""
    installed = {library(n) for n in system_packages if is_known(n)}
    names = ", ".join(m.name for m in missing)
    what = f"The build did not find {names}"
    libraries = list(dict.fromkeys(m.library for m in missing if m.library))
    unknown = [m.name for m in missing if m.library is None]
    if native:
        if not libraries:
            return f"{what}: install the package that has it on this host."
        packages = "; ".join(
            f"{lib}: {PACKAGES[lib][1]} (Debian, Ubuntu) or {PACKAGES[lib][0]} (Fedora, RHEL)"
            for lib in libraries
        )
        return (
            f"{what}: install it on this host ({packages}), or build in a container with "
            f"--platform podman or docker and system-packages = {_toml_list(libraries)}."
        )
    wanted = [lib for lib in libraries if lib not in installed]
    said = [f"{what}: the image does not have {'it' if len(missing) == 1 else 'them'}."]
    if wanted:
        said.append(
            f"Add system-packages = {_toml_list(wanted)} to [tool.manywheel] (or "
            f"MANYWHEEL_SYSTEM_PACKAGES={' '.join(wanted)}): manywheel installs "
            f"{_each_manager(wanted)} with the image's own package manager before the builds."
        )
    if unknown:
        said.append(
            f"For {', '.join(unknown)}, name the image's package in system-packages (its "
            "package manager's name), or install it in before-all."
        )
    if not wanted and not unknown:
        said.append(
            f"system-packages installs {' '.join(libraries)}, yet the compile did not see it: "
            "check the include and library paths the build is given."
        )
    return " ".join(said)


def _toml_list(names: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{n}"' for n in names) + "]"


def _each_manager(libraries: Sequence[str]) -> str:
    """``libffi-devel (yum, dnf), libffi-dev (apt-get, apk)`` for each library."""
    parts = []
    for lib in libraries:
        yum, apt, apk = PACKAGES[lib]
        names: dict[str, list[str]] = {}
        for manager, name in (("yum, dnf", yum), ("apt-get", apt), ("apk", apk)):
            names.setdefault(name, []).append(manager)
        parts.append(", ".join(f"{n} ({', '.join(m)})" for n, m in names.items()))
    return "; ".join(parts)
