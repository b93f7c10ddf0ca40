"""Whether a project has C or C++ files that several CPythons can share through the compiler
cache: files that include no Python header (a vendored library, like brotli's or zstd's).

A file that includes Python.h, directly or through a binding library's header (pybind11,
nanobind, numpy) or as Cython's output does, is another translation unit for each CPython:
nothing of it is shared, and a job that waits for another's build to reuse its objects only
loses time (run/compile_order.py holds jobs only when this says there is something to share).

Read as text, not preprocessed (planning/include_scan.py): the project's own headers are
followed, so a file that reaches pybind11 through its ``common.h`` has nothing to share; one
that reaches Python.h through a header found only by the build's own include paths counts as
shareable. Files under a directory of tests, benchmarks, examples or docs are
left out: a build does not compile them (kiwisolver's benchmarks/*.cpp, beside its cppy
modules, held one job for the other's build and shared nothing). Such a guess costs time,
never a different wheel.

The digest of the shareable files' names and contents tells a later run whether the objects a
run stored are still the ones it needs (caching/warm_records.py).
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from manywheel.planning.include_scan import HEADER_SUFFIXES, IncludeScan
from manywheel.planning.project import Project
from manywheel.planning.source_copy import is_skipped

SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".c++")
# directories whose C/C++ files a build does not compile
_NOT_BUILT = {
    "test",
    "tests",
    "testing",
    "bench",
    "benchmark",
    "benchmarks",
    "example",
    "examples",
    "doc",
    "docs",
    "fuzz",
}


def has_shared_sources(project: Project) -> bool:
    """Whether any C/C++ file of the project includes no Python header; False when it
    cannot be read (nothing is held then: the order of old)."""
    return shared_sources_digest(project) is not None


def shared_sources_digest(project: Project) -> str | None:
    """A hash of the names and contents of the project's C/C++ files that reach no Python
    header; None when there is none, or the project cannot be read."""
    digest = hashlib.sha256()
    found = False
    try:
        read = _sdist_files if project.is_sdist else _tree_files
        files = dict(read(project.path))
        scan = IncludeScan(files)
        for name, content in sorted(files.items()):
            if not name.lower().endswith(SOURCE_SUFFIXES):
                continue
            # an sdist's names start with its top directory
            parts = name.split("/")[1 if project.is_sdist else 0 : -1]
            if _NOT_BUILT.intersection(p.lower() for p in parts):
                continue
            if not scan.reaches_python(name):
                found = True
                digest.update(f"{len(name)}:{name}:{len(content)}:".encode())
                digest.update(content)
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError):
        return None
    return digest.hexdigest() if found else None


def _wanted(name: str) -> bool:
    return name.lower().endswith((*SOURCE_SUFFIXES, *HEADER_SUFFIXES))


def _tree_files(root: Path) -> Iterator[tuple[str, bytes]]:
    for directory, dirs, files in os.walk(root):
        here = Path(directory)
        dirs[:] = [d for d in dirs if d != ".git" and not is_skipped(root, here, d, set())]
        for name in files:
            if _wanted(name):
                path = here / name
                yield path.relative_to(root).as_posix(), path.read_bytes()


def _sdist_files(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if _wanted(name):
                    yield name, zf.read(name)
        return
    with tarfile.open(path, "r:*") as tf:
        for member in tf:
            if member.isfile() and _wanted(member.name):
                fh = tf.extractfile(member)
                if fh is not None:
                    yield member.name, fh.read()
