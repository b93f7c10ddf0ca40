"""Whether a project has C or C++ files that several CPythons can share through the compiler
cache: files that include no Python header (a vendored library, like brotli's or zstd's).

A file that includes Python.h, directly or through a binding library's header (pybind11,
nanobind, numpy) or as Cython's output does, is another translation unit for each CPython:
nothing of it is shared, and a job that waits for another's build to reuse its objects only
loses time (run/compile_order.py holds jobs only when this says there is something to share).

Read as text, not preprocessed: a file that reaches Python.h through a header of the project's
own counts as shareable. Such a guess costs time, never a different wheel.

The digest of the shareable files' names and contents tells a later run whether the objects a
run stored are still the ones it needs (caching/warm_records.py).
"""

from __future__ import annotations

import hashlib
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
    return shared_sources_digest(project) is not None


def shared_sources_digest(project: Project) -> str | None:
    """A hash of the names and contents of the project's C/C++ files that include no Python
    header; None when there is none, or the project cannot be read."""
    digest = hashlib.sha256()
    found = False
    try:
        sources = _sdist_sources(project.path) if project.is_sdist else _tree_sources(project.path)
        for name, content in sorted(sources):
            if not includes_python(content[:HEAD]):
                found = True
                digest.update(f"{len(name)}:{name}:{len(content)}:".encode())
                digest.update(content)
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError):
        return None
    return digest.hexdigest() if found else None


def _tree_sources(root: Path) -> Iterator[tuple[str, bytes]]:
    for directory, dirs, files in os.walk(root):
        here = Path(directory)
        dirs[:] = [d for d in dirs if d != ".git" and not is_skipped(root, here, d, set())]
        for name in files:
            if name.lower().endswith(SOURCE_SUFFIXES):
                path = here / name
                yield path.relative_to(root).as_posix(), path.read_bytes()


def _sdist_sources(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if name.lower().endswith(SOURCE_SUFFIXES):
                    yield name, zf.read(name)
        return
    with tarfile.open(path, "r:*") as tf:
        for member in tf:
            if member.isfile() and member.name.lower().endswith(SOURCE_SUFFIXES):
                fh = tf.extractfile(member)
                if fh is not None:
                    yield member.name, fh.read()
