"""Tar archives built in memory, as the target image's scripts send them (unit tests)."""

from __future__ import annotations

import io
import tarfile


def archive(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    """A tar of ``files`` (name: content) and symlinks (name: target)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buffer.getvalue()
