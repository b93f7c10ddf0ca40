"""What manywheel's own code is, as a hash: part of every cache key and manifest.

The version string says nothing here (it stays "0.1.0" while the code changes, in a checkout or
an editable install), so a wheel made by other code would be restored untested. The hash
covers every file of the installed package (its modules and the data files it reads: image
tables, scripts run in containers), sorted by path, content-hashed; bytecode caches are left
out. It is computed once per process.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import manywheel
from manywheel.files import sha256_file

_LEFT_OUT = ("__pycache__",)


def package_digest(root: Path) -> str:
    """sha256 over (relative path, content hash) of every file under ``root``, sorted."""
    hasher = hashlib.sha256()
    files = sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and not set(path.relative_to(root).parts) & set(_LEFT_OUT)
        and path.suffix not in (".pyc", ".pyo")
    )
    for path in files:
        hasher.update(f"{path.relative_to(root).as_posix()}\0{sha256_file(path)}\0".encode())
    return hasher.hexdigest()


@functools.cache
def manywheel_digest() -> str:
    """The running manywheel's code (see the module's docstring)."""
    return package_digest(Path(manywheel.__file__).resolve().parent)
