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
    """The project's C/C++ files and headers (by path, ``/``-separated), asked per file."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self._files = files
        self._known: dict[str, bool] = {}

    def reaches_python(self, name: str) -> bool:
        """Whether ``name`` includes a Python header, itself or through project headers."""
        if name not in self._known:
            self._known[name] = False  # an include cycle ends here
            self._known[name] = any(
                _PYTHON_HEADER.match(wanted) is not None
                or any(self.reaches_python(found) for found in self._found(name, wanted))
                for wanted in includes(self._files[name])
            )
        return self._known[name]

    def _found(self, including: str, wanted: str) -> list[str]:
        beside = posixpath.normpath(posixpath.join(posixpath.dirname(including), wanted))
        if beside in self._files:
            return [beside]
        tail = "/" + wanted.lstrip("./")
        return [path for path in self._files if path.endswith(tail) or path == wanted]
