"""Wheels and sdists written by hand with zipfile/tarfile, good or broken on purpose."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

SO = "demo/_x.cpython-311-x86_64-linux-gnu.so"
TAG = "cp311-cp311-manylinux_2_17_x86_64"


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def wheel_members(
    name: str = "demo", version: str = "1.0", tags: tuple[str, ...] = (TAG,)
) -> dict[str, bytes]:
    """The members of a valid wheel, RECORD excluded."""
    dist_info = f"{name}-{version}.dist-info"
    wheel = "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: false\n" + "".join(
        f"Tag: {t}\n" for t in tags
    )
    return {
        f"{name}/__init__.py": b"from ._x import *\n",
        SO if name == "demo" else f"{name}/_x.so": b"\x7fELF not really an ELF file",
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist_info}/WHEEL": wheel.encode(),
    }


class _Stream:
    """A file that cannot seek: zipfile then writes each size after the data (a data
    descriptor), as a wheel streamed to a socket or pipe is written."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self.buffer.write(data)

    def flush(self) -> None:
        pass


def make_wheel(
    directory: Path,
    *,
    name: str = "demo",
    version: str = "1.0",
    tags: tuple[str, ...] = (TAG,),
    filename: str | None = None,
    members: Mapping[str, bytes] | None = None,
    metadata: str | None = None,
    edit: Callable[[dict[str, bytes]], None] | None = None,
    extra: list[tuple[str, bytes]] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
    streamed: bool = False,
) -> Path:
    """A wheel whose RECORD matches ``members`` (``metadata``: METADATA's text instead);
    ``edit`` then changes members after RECORD was written (a stale RECORD), ``extra`` adds
    raw members (duplicates, bad paths). ``streamed``: written with data descriptors."""
    content = dict(members if members is not None else wheel_members(name, version, tags))
    dist_info = f"{name}-{version}.dist-info"
    if metadata is not None:
        content[f"{dist_info}/METADATA"] = metadata.encode()
    record = "".join(record_line(n, d) + "\n" for n, d in content.items())
    content[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()
    if edit is not None:
        edit(content)
    path = directory / (filename or f"{name}-{version}-{'.'.join(tags)}.whl")
    stream = _Stream()
    with zipfile.ZipFile(stream if streamed else path, "w", compression) as zf:  # type: ignore[arg-type]
        for member, data in content.items():
            zf.writestr(member, data)
        for member, data in extra or []:
            zf.writestr(member, data)
    if streamed:
        path.write_bytes(stream.buffer.getvalue())
    return path


def make_sdist(
    directory: Path,
    *,
    name: str = "demo",
    version: str = "1.0",
    pkg_info_name: str | None = None,
    pkg_info: str | None = None,
    top: str | None = None,
    filename: str | None = None,
    extra: list[tuple[str, bytes]] | None = None,
    special: list[tarfile.TarInfo] | None = None,
    mtime: int = 1_700_000_000,
) -> Path:
    """A .tar.gz sdist with ``{top}/PKG-INFO`` (``pkg_info``: its text) and ``{top}/setup.py``;
    ``extra`` adds raw members, ``special`` members of other types (links, sparse files)."""
    top = top or f"{name}-{version}"
    if pkg_info is None:
        pkg_info = f"Metadata-Version: 2.1\nName: {pkg_info_name or name}\nVersion: {version}\n"
    files = [(f"{top}/PKG-INFO", pkg_info.encode()), (f"{top}/setup.py", b"")]
    path = directory / (filename or f"{name}-{version}.tar.gz")
    with tarfile.open(path, "w:gz") as tf:
        for member, data in files + (extra or []):
            info = tarfile.TarInfo(member)
            info.size, info.mtime = len(data), mtime
            tf.addfile(info, io.BytesIO(data))
        for info in special or []:
            tf.addfile(info)
    return path
