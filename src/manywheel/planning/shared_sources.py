"""Whether a project has C or C++ files that several CPythons can share through the compiler
cache: files that include no Python header (a vendored library, like brotli's or zstd's).

A file that includes Python.h, directly or through a binding library's header (pybind11,
nanobind, numpy) or as Cython's output does, is another translation unit for each CPython:
nothing of it is shared, and a job that waits for another's build to reuse its objects only
loses time (run/compile_order.py holds jobs only when this says there is something to share).

Read as text, not preprocessed: a file that reaches Python.h through a header of the project's
own counts as shareable. Such a guess costs time, never a different wheel.
"""

from __future__ import annotations

import os
import re
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from manywheel.planning.project import Project
from manywheel.planning.source_copy import is_skipped

SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".c++")
HEAD = 64 * 1024  # the includes are near the top, after a licence at most
_PYTHON_HEADER = re.compile(
    rb'#\s*include\s*[<"](?:Python\.h|pybind11/|nanobind/|numpy/|structmember\.h)'
)


def includes_python(head: bytes) -> bool:
    """Whether a source file's first bytes include a Python header."""
    return _PYTHON_HEADER.search(head) is not None


def has_shared_sources(project: Project) -> bool:
    """Whether any C/C++ file of the project includes no Python header; False when it
    cannot be read (nothing is held then: the order of old)."""
    try:
        heads = _sdist_heads(project.path) if project.is_sdist else _tree_heads(project.path)
        return any(not includes_python(head) for head in heads)
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError):
        return False


def _tree_heads(root: Path) -> Iterator[bytes]:
    for directory, dirs, files in os.walk(root):
        here = Path(directory)
        dirs[:] = [d for d in dirs if d != ".git" and not is_skipped(root, here, d, set())]
        for name in files:
            if name.lower().endswith(SOURCE_SUFFIXES):
                with (here / name).open("rb") as fh:
                    yield fh.read(HEAD)


def _sdist_heads(path: Path) -> Iterator[bytes]:
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if name.lower().endswith(SOURCE_SUFFIXES):
                    with zf.open(name) as member_file:
                        yield member_file.read(HEAD)
        return
    with tarfile.open(path, "r:*") as tf:
        for member in tf:
            if member.isfile() and member.name.lower().endswith(SOURCE_SUFFIXES):
                fh = tf.extractfile(member)
                if fh is not None:
                    yield fh.read(HEAD)
