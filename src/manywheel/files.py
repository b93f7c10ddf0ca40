"""File helpers used everywhere: atomic writes (a file appears whole or not at all: written
under a hidden temporary name, then renamed), sha256 digests, and a log's last lines."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path


def atomic_write(final: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(partial)`` for a hidden temporary file beside ``final``, then rename it
    into place; on any failure the partial file is removed and ``final`` left as it was."""
    partial = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        write(partial)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return final


def atomic_write_text(final: Path, text: str) -> Path:
    return atomic_write(final, lambda partial: partial.write_text(text, encoding="utf-8"))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def log_length(path: Path) -> int | None:
    """The log's size in bytes now (None: no file)."""
    try:
        return path.stat().st_size
    except OSError:
        return None


def log_text(path: Path, start: int = 0, end: int | None = None) -> str:
    """A log's bytes ``start`` to ``end`` as text ("" when it cannot be read)."""
    try:
        return path.read_bytes()[start:end].decode("utf-8", errors="replace")
    except OSError:
        return ""


def tail(path: Path, lines: int = 30, end: int | None = None) -> list[str]:
    """The last ``lines`` lines of a log, of its first ``end`` bytes when given ([]: no file)."""
    return log_text(path, end=end).splitlines()[-lines:]
