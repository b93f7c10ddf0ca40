"""A wheel's members written again in another order, with other dates and modes, their
compressed bytes copied as they are (release/reproducible.py normalises every wheel this way).

Python's zipfile can only write a member by compressing it: normalising a wheel with it
decompressed and compressed every member again, 0.29 s for pycryptodome's 10 MB of libraries
at the end of every build. Here a deflated member's bytes are copied as they are, with its CRC
and sizes; a stored one is deflated as zipfile would (zlib's default level, raw stream). The
headers are the ones zipfile writes (no extra fields, no data descriptor, UTF-8 flag for a
name that is not ASCII, version 2.0): for members deflated by the same zlib at that level, the
bytes are the ones zipfile would write. An archive that needs ZIP64 (a member or the archive
of 2 GiB or more, 65,535 members or more), or an encrypted member, is not written
(``copy_members`` says False) and left to zipfile.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_LOCAL = struct.Struct("<4s2B4HL2L2H")  # zipfile's structFileHeader
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # structCentralDir
_END = struct.Struct("<4s4H2LH")  # structEndArchive
_VERSION = 20  # 2.0: deflate (zipfile's DEFAULT_VERSION)
_UTF8 = 0x800
_ENCRYPTED = 0x1
_LIMIT = zipfile.ZIP64_LIMIT  # 2 GiB: from there on zipfile writes ZIP64 fields
_COUNT_LIMIT = zipfile.ZIP_FILECOUNT_LIMIT


@dataclass(frozen=True)
class Member:
    """A member of the source archive as it is to be written."""

    info: zipfile.ZipInfo  # as the source's central directory lists it
    date_time: tuple[int, int, int, int, int, int]
    external_attr: int
    create_system: int = 3  # unix


def copy_members(archive: zipfile.ZipFile, members: Sequence[Member], target: Path) -> bool:
    """Write ``members`` of ``archive`` (opened from a file) into a new archive ``target``, in
    that order; False, with ``target`` left to be removed, when this archive is not one to
    write here."""
    if len(members) >= _COUNT_LIMIT or archive.filename is None:
        return False
    with open(archive.filename, "rb") as src, target.open("wb") as out:
        central: list[bytes] = []
        for member in members:
            info = member.info
            if info.flag_bits & _ENCRYPTED or info.file_size >= _LIMIT:
                return False
            if info.is_dir():
                method, data, crc, size = zipfile.ZIP_STORED, b"", 0, 0
            else:
                method, crc, size = zipfile.ZIP_DEFLATED, info.CRC, info.file_size
                data = _deflated(archive, src, info)
            offset = out.tell()
            if offset >= _LIMIT or len(data) >= _LIMIT:
                return False
            name, flags = _encoded(info.filename)
            dostime, dosdate = _dos(member.date_time)
            fields = (flags, method, dostime, dosdate, crc, len(data), size, len(name))
            out.write(_LOCAL.pack(b"PK\x03\x04", _VERSION, 0, *fields, 0) + name + data)
            central.append(
                _CENTRAL.pack(
                    b"PK\x01\x02",
                    _VERSION,
                    member.create_system,
                    _VERSION,
                    0,
                    *fields,
                    0,  # extra
                    0,  # comment
                    0,  # disk
                    0,  # internal attributes
                    member.external_attr,
                    offset,
                )
                + name
            )
        start = out.tell()
        out.write(b"".join(central))
        size = out.tell() - start
        if start >= _LIMIT or size >= _LIMIT:
            return False
        count = len(central)
        out.write(_END.pack(b"PK\x05\x06", 0, 0, count, count, size, start, 0))
    return True


def _deflated(archive: zipfile.ZipFile, src: BinaryIO, info: zipfile.ZipInfo) -> bytes:
    """The member's data deflated: its own bytes when it is, else deflated now."""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        plain = archive.read(info)  # decompressed, its CRC checked
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        return compressor.compress(plain) + compressor.flush()
    src.seek(info.header_offset)
    header = src.read(_LOCAL.size)
    if len(header) != _LOCAL.size or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"no local header for {info.filename!r}")
    name_length, extra_length = struct.unpack("<2H", header[-4:])
    src.seek(name_length + extra_length, 1)
    data = src.read(info.compress_size)
    if len(data) != info.compress_size:
        raise zipfile.BadZipFile(f"{info.filename!r} is cut short")
    return data


def _encoded(name: str) -> tuple[bytes, int]:
    """The name's bytes and flags, as zipfile writes them."""
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        return name.encode("utf-8"), _UTF8


def _dos(stamp: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    """A date and time in the zip's (MS-DOS) form."""
    year, month, day, hour, minute, second = stamp
    return hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day
