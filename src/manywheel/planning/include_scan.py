"""Whether a C/C++ file reaches a Python header, through the project's own headers too.

Read as text, not preprocessed: an ``#include`` of a Python header (Python.h, or a binding
library's: pybind11, nanobind, numpy, cppy, Boost.Python) counts wherever it stands, even
under an ``#if``; a quoted or angled include of a file the project has (beside the including
file, else any project file whose path ends so, as an ``-I`` directory would find it) is
followed. contourpy's modules include pybind11 through their own ``common.h``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

HEADER_SUFFIXES = (".h", ".hh", ".hpp", ".hxx", ".h++", ".inl", ".inc", ".ipp", ".tcc")
HEAD = 64 * 1024  # the includes are near the top, after a licence at most
_INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*[<"]([^>"\n]+)[>"]', re.MULTILINE)
_PYTHON_HEADER = re.compile(
    r"^(?:Python\.h|pyconfig\.h|structmember\.h|pybind11/|nanobind/|numpy/|cppy/|boost/python)"
)


def includes(content: bytes) -> list[str]:
    """The names a file's first bytes include."""
    return [
        m.group(1).decode("utf-8", "replace").strip() for m in _INCLUDE.finditer(content[:HEAD])
    ]


class IncludeScan:
    """The project's C/C++ files and headers (by path, ``/``-separated), asked per file.
    Walked once, without recursion: the files that include a Python header, then whatever
    includes one of those, and so on (a deep or circular include chain is no problem)."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        by_name: dict[str, list[str]] = {}
        for path in files:
            by_name.setdefault(posixpath.basename(path), []).append(path)
        included_by: dict[str, set[str]] = {}
        self._reaching: set[str] = set()
        for name, content in files.items():
            for wanted in includes(content):
                if _PYTHON_HEADER.match(wanted):
                    self._reaching.add(name)
                for found in _found(name, wanted, files, by_name):
                    included_by.setdefault(found, set()).add(name)
        todo = list(self._reaching)
        while todo:
            for parent in included_by.get(todo.pop(), ()):
                if parent not in self._reaching:
                    self._reaching.add(parent)
                    todo.append(parent)

    def reaches_python(self, name: str) -> bool:
        """Whether ``name`` includes a Python header, itself or through project headers."""
        return name in self._reaching


def _found(
    including: str, wanted: str, files: Mapping[str, bytes], by_name: Mapping[str, list[str]]
) -> list[str]:
    """The project files an include of ``wanted`` may mean: the one beside the including file,
    else each whose path ends so (as an -I directory would find it)."""
    beside = posixpath.normpath(posixpath.join(posixpath.dirname(including), wanted))
    if beside in files:
        return [beside]
    plain = posixpath.normpath(wanted).lstrip("/")
    tail = "/" + plain
    candidates = by_name.get(posixpath.basename(plain), [])
    return [path for path in candidates if path == plain or path.endswith(tail)]
