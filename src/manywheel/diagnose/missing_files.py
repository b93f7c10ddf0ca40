"""A header the compiler did not find, a library the linker did not, a build tool, a
pkg-config module or a CMake package the build did not, read from a build's log, and the
``system-packages`` entry that has it (diagnose/package_names.py): the commonest failure of a
first container build (``fatal error: ffi.h: No such file or directory``: the image lacks
libffi-devel; ``No such file or directory: 'cmake'``: a custom image lacks cmake).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from manywheel.diagnose.package_names import CMAKE, HEADERS, LIBRARIES, PKG_CONFIG, TOOLS
from manywheel.errors import StepFailed
from manywheel.files import log_length, log_text
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
# directory: 'cmake'``), or a shell (_NOT_FOUND); only the names of build tools are taken (a
# missing data file says the same)
_TOOL = re.compile(r"No such file or directory: '([\w.+-]+)'")
# psycopg2's "Error: pg_config executable not found.", mysqlclient's "mysql_config not found"
_TOOL_SAID = re.compile(r"\b([\w.+-]+)(?: executable)? not found\b")
# a build script's own words: pycares' "RuntimeError: CMake >= 3.5 is required to build
# pycares." (the name as said: CMake is cmake)
_TOOL_REQUIRED = re.compile(
    r"\b([\w.+-]+)(?: \(?(?:>=|version)? ?\d[\w.]*\)?(?: or (?:higher|newer|later))?)? "
    r"(?:is required|must be installed|is not installed)\b"
)
# pkg-config (``Package libffi was not found in the pkg-config search path``, ``Package
# 'libffi', required by 'virtual:world', not found``) and meson's error (``ERROR: Dependency
# "libffi" not found``); not meson's "Run-time dependency X found: NO", said of optional ones
_PKG_CONFIG = re.compile(
    r"Package '?([\w.+-]+)'?(?: was not found in the pkg-config search path|, required by .*"
    r" not found)"
    r"|ERROR: Dependency \"?([\w.+-]+)\"? not found"
)
# CMake's error (``  Could NOT find ZLIB (missing: ...)`` in a "CMake Error" block), not its
# status line (``-- Could NOT find PkgConfig``), said of optional packages
_CMAKE = re.compile(r"^(?!-- )\s*Could NOT find (\w+)")
# Pillow's setup.py: ``The headers or library files could not be found for jpeg,`` (a library
# by the name Pillow gives it: jpeg, zlib, freetype, webp)
_NAMED_LIBRARY = re.compile(r"headers or library files could not be found for ([\w.+-]+)")
# what a shell says of a command it did not find: dash (``sh: 1: cmake: not found``), bash
# (``cmake: command not found``)
_NOT_FOUND = re.compile(r"\bsh: \d+: ([^\s:]+): not found|\b([^\s:]+): command not found")


@dataclass(frozen=True)
class Missing:
    name: str  # as the build's log says it: "ffi.h", "-lffi"
    library: str | None  # the system-packages library with it, when known


def missing_files(log: Path, start: int = 0, end: int | None = None) -> list[Missing]:
    """Headers, libraries, build tools, pkg-config modules and CMake packages the log (its
    bytes ``start`` to ``end``) says were not found, in the order it first says them."""
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
        for name in _tool_names(line):
            if name in TOOLS:
                found.setdefault(name, Missing(name, TOOLS[name]))
        module = _PKG_CONFIG.search(line)
        if module:
            name = next(g for g in module.groups() if g)
            said = f"{name} (pkg-config)"
            found.setdefault(said, Missing(said, PKG_CONFIG.get(name)))
        named = _NAMED_LIBRARY.search(line)
        if named:
            name = named.group(1)
            found.setdefault(name, Missing(name, LIBRARIES.get(name) or PKG_CONFIG.get(name)))
        package = _CMAKE.search(line)
        if package:
            said = f"{package.group(1)} (CMake)"
            found.setdefault(said, Missing(said, CMAKE.get(package.group(1))))
    return list(found.values())


def _tool_names(line: str) -> list[str]:
    """The names ``line`` says are of programs that are not there (any name: the caller
    keeps the build tools'); a build script's own words name it as said (CMake is cmake)."""
    said = (_TOOL.search(line), _NOT_FOUND.search(line), _TOOL_SAID.search(line))
    names = [next(g for g in match.groups() if g) for match in said if match]
    required = _TOOL_REQUIRED.search(line)
    return [*names, required.group(1).lower()] if required else names


def commands_not_found(text: str) -> list[str]:
    """The commands a shell said in ``text`` it did not find (``sh: 1: python3.14: not
    found``, exit status 127): any name, not only build tools'."""
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
    it = "it" if len(missing) == 1 else "them"
    if native:
        if not libraries:
            return f"{what}: install the package that has {it} on this host."
        packages = "; ".join(
            f"{lib}: {PACKAGES[lib][1]} (Debian, Ubuntu) or {PACKAGES[lib][0]} (Fedora, RHEL)"
            for lib in libraries
        )
        others = f"; for {', '.join(unknown)}, the package that has it" if unknown else ""
        return (
            f"{what}: install {it} on this host ({packages}{others}), or build in a container "
            f"with --platform podman or docker and system-packages = {toml_list(libraries)}."
        )
    wanted = [lib for lib in libraries if lib not in installed]
    said = [f"{what}: the image does not have {it}."]
    if wanted:
        # with the names the option has already (the variable replaces the table's list)
        full = [*system_packages, *wanted]
        variable = " ".join(full) if len(full) == 1 else f'"{" ".join(full)}"'
        add = (
            f"Add {' and '.join(wanted)} to system-packages (system-packages = "
            f"{toml_list(full)} in [tool.manywheel], or MANYWHEEL_SYSTEM_PACKAGES={variable})"
            if system_packages
            else f"Add system-packages = {toml_list(full)} to [tool.manywheel] (or "
            f"MANYWHEEL_SYSTEM_PACKAGES={variable})"
        )
        said.append(
            f"{add}: manywheel installs {_each_manager(wanted)} with the image's own package "
            "manager before the builds."
        )
    if unknown:
        said.append(
            f"For {', '.join(unknown)}, name the image's package in system-packages (its "
            "package manager's name), or install it in before-all."
        )
    if not wanted and not unknown:
        said.append(
            f"system-packages installs {' '.join(libraries)}, yet the build did not find it: "
            "check the paths the build is given (include, library, PATH)."
        )
    return " ".join(said)


def toml_list(names: Sequence[str]) -> str:
    """``["a", "b"]``: names as a TOML list, as the advice writes an option's value."""
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


@contextmanager
def advised(log: Path, *, native: bool, system_packages: Sequence[str]) -> Iterator[None]:
    """A step's failure inside says, after its own words, what to install for what the log
    (what was written to it inside) says was not found."""
    start = log_length(log) or 0
    try:
        yield
    except StepFailed as exc:
        said = advice(
            missing_files(log, start, exc.log_end), native=native, system_packages=system_packages
        )
        if not said:
            raise
        raise exc.with_message(f"{exc.message}. {said}") from None
