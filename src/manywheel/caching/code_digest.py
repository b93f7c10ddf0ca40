"""What manywheel's own code is, as a hash: part of every cache key and manifest.

The version string says nothing here (it stays "0.1.0" while the code changes, in a checkout or
an editable install), so a wheel made by other code would be restored untested. The hash
covers every file of the installed package (its modules and the data files it reads: image
tables, scripts run in containers), sorted by path, content-hashed; bytecode caches are left
out. It is computed once per process, by the first job that asks (the others wait for it
rather than hash the same files at the same time).
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from pathlib import Path

import manywheel
from manywheel.files import sha256_file

_LEFT_OUT = ("__pycache__",)


def package_digest(root: Path) -> str:
    """sha256 over (relative path, content hash) of every file under ``root``, sorted."""
    hasher = hashlib.sha256()
    files = []
    for directory, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _LEFT_OUT]  # not walked into
        here = Path(directory)
        files += [here / n for n in names if not n.endswith((".pyc", ".pyo"))]
    for path in sorted(p for p in files if p.is_file()):
        hasher.update(f"{path.relative_to(root).as_posix()}\0{sha256_file(path)}\0".encode())
    return hasher.hexdigest()


_computing = threading.Lock()


def manywheel_digest() -> str:
    """The running manywheel's code (see the module's docstring)."""
    with _computing:
        return _manywheel_digest()


@functools.cache
def _manywheel_digest() -> str:
    return package_digest(Path(manywheel.__file__).resolve().parent)
