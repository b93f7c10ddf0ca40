"""What must be inside a wheel: PyPI's rules, then manywheel's own.

PyPI looks in ``{name}-{version}.dist-info/`` spelled exactly as the file name's first two
fields: WHEEL, METADATA and a RECORD readable as UTF-8 CSV must be there, each License-File
under ``licenses/``, and an entry_points.txt, if any, must be an INI file (``=`` only) whose
console and GUI script names are letters, digits and ``_.-``. PyPI takes a wheel whose RECORD
disagrees with its members (it mails the owners); manywheel refuses it (origin "manywheel"):
RECORD must list every member with a sha256 (or stronger) hash and size that match, WHEEL's
``Tag`` lines must equal the file name's tags, one .dist-info directory, no absolute or ``..``
member.
"""

from __future__ import annotations

import base64
import configparser
import csv
import hashlib
import io
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from email.parser import BytesHeaderParser
from pathlib import PurePosixPath

from packaging.tags import Tag, parse_tag

from manywheel.release.archive_rules import invalid
from manywheel.release.problems import Problem, broken, pypi, twine

_HASHES = ("sha256", "sha384", "sha512")  # the wheel spec forbids weaker ones
_UNLISTED = ("RECORD", "RECORD.jws", "RECORD.p7s")  # RECORD and its signatures
_ENTRY_POINT_NAME = re.compile(r"[\w.-]+")


class _CaseSensitiveParser(configparser.ConfigParser):
    def optionxform(self, optionstr: str) -> str:
        return optionstr


def spelled_dist_info(filename: str) -> str | None:
    """``{name}-{version}.dist-info`` as the file name spells them (PyPI's reading)."""
    fields = filename.split("-", 2)
    return f"{fields[0]}-{fields[1]}.dist-info" if len(fields) == 3 else None


def metadata_member(zf: zipfile.ZipFile) -> str | None:
    """The METADATA twine reads and sends: the shallowest member named like it that has a
    Metadata-Version field."""
    candidates = sorted((len(n.split("/")), n) for n in zf.namelist() if "METADATA" in n)
    for _, name in candidates:
        if b"Metadata-Version" in zf.read(name):
            return name
    return None


def no_metadata(filename: str) -> Problem:
    return twine(f"No METADATA in archive or METADATA missing 'Metadata-Version': {filename}")


def pypi_content_problems(
    zf: zipfile.ZipFile, filename: str, license_files: Sequence[str]
) -> list[Problem]:
    dist_info = spelled_dist_info(filename)
    if dist_info is None:
        return [invalid("Unable to parse name and version from wheel filename")]
    members = set(zf.namelist())
    problems = []
    if f"{dist_info}/WHEEL" not in members:
        problems.append(invalid(f"WHEEL not found at {dist_info}/WHEEL"))
    for license_file in license_files:
        where = f"{dist_info}/licenses/{license_file}"
        if where not in members:
            problems.append(
                pypi(
                    f"License-File {license_file} does not exist in distribution file "
                    f"{filename} at {where}"
                )
            )
    if not _readable_record(zf, f"{dist_info}/RECORD"):
        problems.append(
            pypi(
                f"Wheel '{filename}' does not contain the required RECORD file: {dist_info}/RECORD"
            )
        )
    problems += _entry_point_problems(zf, filename, f"{dist_info}/entry_points.txt")
    if f"{dist_info}/METADATA" not in members:
        problems.append(
            pypi(
                f"Wheel '{filename}' does not contain the required METADATA file: "
                f"{dist_info}/METADATA"
            )
        )
    return problems


def _readable_record(zf: zipfile.ZipFile, record: str) -> bool:
    try:
        for _ in csv.reader(zf.read(record).decode().splitlines()):
            pass
    except (KeyError, UnicodeError, csv.Error):
        return False
    return True


def _entry_point_problems(zf: zipfile.ZipFile, filename: str, member: str) -> list[Problem]:
    reason: str | None
    try:
        text = zf.read(member).decode()
    except KeyError:
        return []
    except UnicodeError:
        reason = "entry_points.txt is not decodable as UTF-8"
    else:
        reason = _entry_points_reason(text)
    if reason is None:
        return []
    return [
        pypi(
            f"Wheel '{filename}' has invalid entry points defined in the entry_points.txt "
            f"file ({reason})"
        )
    ]


def _entry_points_reason(text: str) -> str | None:
    parser = _CaseSensitiveParser(delimiters=("=",), interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return f"not a valid INI file: {exc}"
    for section in ("console_scripts", "gui_scripts"):
        if section not in parser:
            continue
        for name in parser[section]:
            if not _ENTRY_POINT_NAME.fullmatch(name):
                return f"invalid entry point name {name!r} in {section!r}"
    return None


def member_problems(names: Sequence[str], *, duplicates: bool) -> list[Problem]:
    """Absolute and ``..`` members; duplicates too unless PyPI's framing check reports them."""
    problems = []
    if duplicates:
        problems += [
            broken(f"member {name} appears {count} times")
            for name, count in Counter(names).items()
            if count > 1
        ]
    for name in dict.fromkeys(names):
        path = PurePosixPath(name)
        if path.is_absolute() or name.startswith("\\") or (name[1:3] == ":/"):
            problems.append(broken(f"member {name} is an absolute path"))
        elif ".." in path.parts:
            problems.append(broken(f"member {name} escapes the archive (..)"))
    return problems


def own_content_problems(
    zf: zipfile.ZipFile, tags: frozenset[Tag], *, presence: bool
) -> list[Problem]:
    """manywheel's rules; ``presence``: also report a missing WHEEL, METADATA or RECORD
    (when PyPI's rules, which say so, are not run)."""
    infos = zf.infolist()
    dist_infos = sorted(
        {
            i.filename.split("/")[0]
            for i in infos
            if i.filename.split("/")[0].endswith(".dist-info") and "/" in i.filename
        }
    )
    if len(dist_infos) != 1:
        return [broken(f"expected one .dist-info directory, found {len(dist_infos)}")]
    dist_info = dist_infos[0]
    members = {i.filename for i in infos}
    problems = []
    for needed in ("WHEEL", "METADATA", "RECORD"):
        if presence and f"{dist_info}/{needed}" not in members:
            problems.append(broken(f"{needed}: {dist_info}/{needed} is missing"))
    if f"{dist_info}/WHEEL" in members:
        problems += _tag_problems(zf.read(f"{dist_info}/WHEEL"), tags)
    if f"{dist_info}/RECORD" in members:
        problems += _record_problems(zf, infos, dist_info)
    return problems


def _tag_problems(data: bytes, tags: frozenset[Tag]) -> list[Problem]:
    listed: set[Tag] = set()
    for line in BytesHeaderParser().parsebytes(data).get_all("Tag") or []:
        listed |= parse_tag(line.strip())
    if listed == tags:
        return []

    def shown(found: Iterable[Tag]) -> str:
        return ", ".join(sorted(map(str, found))) or "none"

    return [broken(f"WHEEL: tags {shown(listed)} do not match the file name's {shown(tags)}")]


def _digest(zf: zipfile.ZipFile, info: zipfile.ZipInfo, algorithm: str) -> tuple[str, int]:
    digest, size = hashlib.new(algorithm), 0
    with zf.open(info) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode(), size


def _record_problems(
    zf: zipfile.ZipFile, infos: Sequence[zipfile.ZipInfo], dist_info: str
) -> list[Problem]:
    try:
        text = zf.read(f"{dist_info}/RECORD").decode("utf-8")
    except UnicodeDecodeError:
        return [broken("RECORD: not UTF-8 text")]
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(text)) if row}
    problems: list[Problem] = []
    unlisted = {f"{dist_info}/{n}" for n in _UNLISTED}
    for info in infos:
        if info.is_dir() or info.filename in unlisted:
            continue
        problems += _entry_problems(zf, info, rows.pop(info.filename, None))
    for gone in sorted(set(rows) - unlisted):
        problems.append(broken(f"RECORD: lists {gone}, which is not in the wheel"))
    return problems


def _entry_problems(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, row: list[str] | None
) -> list[Problem]:
    member = info.filename
    if row is None:
        return [broken(f"RECORD: {member} is not listed")]
    recorded_hash, recorded_size = [*row, "", ""][:2]
    algorithm, _, expected = recorded_hash.partition("=")
    if algorithm not in _HASHES:
        return [broken(f"RECORD: {member} has no sha256 hash (found {recorded_hash or 'none'})")]
    try:
        actual, size = _digest(zf, info, algorithm)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, zlib.error) as exc:
        return [broken(f"member {member} cannot be read ({exc})")]
    problems = []
    if actual != expected:
        problems.append(broken(f"RECORD: hash of {member} does not match"))
    if recorded_size != str(size):
        problems.append(
            broken(
                f"RECORD: size of {member} does not match ({recorded_size or 'none'} "
                f"recorded, {size} in the wheel)"
            )
        )
    return problems
