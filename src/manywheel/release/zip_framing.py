"""PyPI's reading of a ZIP archive's record framing, record by record from the first byte.

Python's zipfile (pip, twine) reads the central directory at the end; some installers stream
the local file headers from the start. PyPI refuses any archive the two readings could see
differently: data before the first record or after the last, a name listed twice or only in
one of the two places, sizes that disagree, data descriptors (sizes written after the data),
central-directory comments, ZIP64 extensible data, control characters in names. The messages
are PyPI's.
"""

from __future__ import annotations

import os
import struct
import zipfile
from dataclasses import dataclass, field
from typing import IO

_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_END = b"PK\x05\x06"
_END64 = b"PK\x06\x06"
_END64_LOCATOR = b"PK\x06\x07"

_ZIP64_EXTRA, _UNICODE_PATH_EXTRA = 0x0001, 0x7075
_ZIP64_EXTRA_SIZES = (0, 8, 16, 24, 28)
_SATURATED = 0xFFFFFFFF  # a 32-bit size field whose value is in the ZIP64 extra
_DATA_DESCRIPTOR_FLAG = 0x08
_CONTROL = frozenset(range(0x20)) | {0x7F}

MALFORMED = "Malformed zip file"


class FramingError(Exception):
    """The first reason PyPI gives for refusing the archive's framing."""


@dataclass
class _Walk:
    """What the walk has seen so far."""

    sizes: dict[str, tuple[int, int]]  # central directory as zipfile read it
    local_names: set[bytes] = field(default_factory=set)
    central_names: set[bytes] = field(default_factory=set)
    central_records: int = 0
    central_size: int = 0
    central_offset: int | None = None
    seen_end64: bool = False
    seen_locator: bool = False
    end64: tuple[int, int, int] | None = None  # records, size, offset from the ZIP64 end record


def framing_error(archive: zipfile.ZipFile) -> str | None:
    """PyPI's reason for refusing ``archive``'s framing, or None when it accepts it."""
    fp = archive.fp
    assert fp is not None, "an open archive"
    walk = _Walk({i.orig_filename: (i.compress_size, i.file_size) for i in archive.filelist})
    position = fp.tell()
    try:
        fp.seek(0)
        _walk_records(fp, walk)
        end = fp.tell()
        if end != fp.seek(0, os.SEEK_END):
            return "Trailing data"
    except FramingError as exc:
        return str(exc)
    finally:
        fp.seek(position)
    return None


def _read(fp: IO[bytes], size: int) -> bytes:
    data = fp.read(size)
    if len(data) != size:
        raise FramingError(MALFORMED)
    return data


def _walk_records(fp: IO[bytes], walk: _Walk) -> None:
    while True:
        signature = _read(fp, 4)
        if signature == _CENTRAL:
            _central_record(fp, walk)
        elif signature == _LOCAL:
            name = _local_record(fp, walk.sizes)
            if name in walk.local_names:
                raise FramingError("Duplicate filename in local headers")
            walk.local_names.add(name)
        elif signature == _END:
            # after a ZIP64 end record, the plain one must come after its locator
            if walk.seen_end64 and not walk.seen_locator:
                raise FramingError(MALFORMED)
            _end_record(fp, walk)
            return
        elif signature == _END64:
            walk.seen_end64 = True
            walk.end64 = _end64_record(fp)
        elif signature == _END64_LOCATOR:
            _read(fp, 16)
            walk.seen_locator = True
        else:
            raise FramingError("Unknown record signature")


def _central_record(fp: IO[bytes], walk: _Walk) -> None:
    if walk.central_offset is None:
        walk.central_offset = fp.tell() - 4
    walk.central_records += 1
    header = _read(fp, 42)
    name_size, extra_size, comment_size = struct.unpack_from("<HHH", header, 24)
    if comment_size:
        raise FramingError("Comment in central directory")
    name = _read(fp, name_size)
    extra = _read(fp, extra_size)
    if _CONTROL.intersection(name):
        raise FramingError("Invalid character in filename")
    walk.central_size += 46 + len(name) + len(extra)
    if name in walk.central_names:
        raise FramingError("Duplicate filename in central directory")
    if name not in walk.local_names:
        raise FramingError("Missing filename in local headers")
    walk.central_names.add(name)


def _local_record(fp: IO[bytes], sizes: dict[str, tuple[int, int]]) -> bytes:
    header = _read(fp, 26)
    flags, method = struct.unpack_from("<HH", header, 2)
    compressed, uncompressed, name_size, extra_size = struct.unpack_from("<IIHH", header, 14)
    name = _read(fp, name_size)
    extra = _read(fp, extra_size)
    if _CONTROL.intersection(name):
        raise FramingError("Invalid character in filename")
    compressed, uncompressed = _local_extras(extra, method, compressed, uncompressed)
    if flags & _DATA_DESCRIPTOR_FLAG:
        raise FramingError("ZIP contains a data descriptor")
    try:
        expected = sizes[name.decode("utf-8")]
    except UnicodeError:
        raise FramingError("Filename not unicode") from None
    except KeyError:
        raise FramingError("Filename not in central directory") from None
    if expected[0] != compressed:
        raise FramingError("Mis-matched data size")
    if expected[1] != uncompressed:
        raise FramingError("Mis-matched file size")
    fp.seek(compressed, os.SEEK_CUR)
    return name


def _local_extras(extra: bytes, method: int, compressed: int, uncompressed: int) -> tuple[int, int]:
    """The sizes once a ZIP64 extra has been applied; refuses malformed or repeated extras."""
    seen: set[int] = set()
    while extra:
        if len(extra) < 4:
            raise FramingError(MALFORMED)
        kind, size = struct.unpack_from("<HH", extra)
        if size + 4 > len(extra):
            raise FramingError(MALFORMED)
        if kind in seen and kind in (_ZIP64_EXTRA, _UNICODE_PATH_EXTRA):
            raise FramingError("Invalid duplicate extra in local file")
        seen.add(kind)
        body = extra[4 : 4 + size]
        if kind == _ZIP64_EXTRA:
            compressed, uncompressed = _zip64_sizes(body, method, compressed, uncompressed)
        elif kind == _UNICODE_PATH_EXTRA:
            _check_unicode_path(body)
        extra = extra[4 + size :]
    return compressed, uncompressed


def _zip64_sizes(body: bytes, method: int, compressed: int, uncompressed: int) -> tuple[int, int]:
    if len(body) not in _ZIP64_EXTRA_SIZES:
        raise FramingError(MALFORMED)
    if not body:
        if _SATURATED in (compressed, uncompressed):
            raise FramingError(MALFORMED)
        return compressed, uncompressed
    if len(body) == 8:
        # only the uncompressed size: the data must be stored, so both sizes are equal
        if method != zipfile.ZIP_STORED:
            raise FramingError(MALFORMED)
        (size,) = struct.unpack_from("<Q", body)
        return size, size if uncompressed == _SATURATED else uncompressed
    size, compressed = struct.unpack_from("<QQ", body)
    return compressed, size if uncompressed == _SATURATED else uncompressed


def _check_unicode_path(body: bytes) -> None:
    name = body[5:]  # after the version byte and the CRC of the plain name
    if _CONTROL.intersection(name):
        raise FramingError("Invalid character in filename")
    try:
        name.decode("utf-8")
    except UnicodeError:
        raise FramingError("Filename not valid UTF-8") from None


def _end_record(fp: IO[bytes], walk: _Walk) -> None:
    if walk.central_offset is None:  # an empty archive
        walk.central_offset = fp.tell() - 4
    records_here, records, size, offset, comment_size = struct.unpack("<4xHHIIH", _read(fp, 18))
    if records_here != records:
        raise FramingError(MALFORMED)
    fp.seek(comment_size, os.SEEK_CUR)
    if walk.seen_locator and walk.end64 is not None:
        records, size, offset = walk.end64
    if records != walk.central_records:
        raise FramingError("Mismatched central directory records")
    if offset != walk.central_offset:
        raise FramingError("Mismatched central directory offset")
    if size != walk.central_size:
        raise FramingError("Mismatched central directory size")


def _end64_record(fp: IO[bytes]) -> tuple[int, int, int]:
    record_size, records_here, records, size, offset = struct.unpack("<Q12xQQQQ", _read(fp, 52))
    if records_here != records:
        raise FramingError(MALFORMED)
    if record_size != 44:
        raise FramingError("ZIP64 extensible data not allowed")
    return records, size, offset
