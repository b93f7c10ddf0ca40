"""``manywheel check``: what PyPI verifies on upload, verified before it.

A wheel: every member listed in RECORD with its sha256 and size, no duplicate or
path-escaping member, the file name's tags equal to WHEEL's ``Tag`` lines, platform tags PyPI
accepts, METADATA valid for its Metadata-Version (``packaging.metadata``) and naming the
file's project and version. An sdist: one ``name-version/`` top directory holding every
member, none escaping it, a valid PKG-INFO naming the file's project and version.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import posixpath
import tarfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path, PurePosixPath

from packaging.metadata import ExceptionGroup, InvalidMetadata, Metadata, parse_email
from packaging.tags import Tag, parse_tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from manywheel.errors import DistributionCheckFailed
from manywheel.release.pypi_platforms import pypi_accepts

_HASHES = ("sha256", "sha384", "sha512")  # the wheel spec forbids weaker ones
_UNLISTED = ("RECORD", "RECORD.jws", "RECORD.p7s")  # RECORD and its signatures


@dataclass(frozen=True)
class Verdict:
    """The problems found in one distribution file (none: PyPI would take it)."""

    name: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        return f"{self.name}: " + ("ok" if self.ok else "; ".join(self.problems))


def check_file(path: Path, filename: str | None = None, *, pypi_platforms: bool = True) -> Verdict:
    """Check one wheel or sdist; ``filename`` is its real name when ``path`` is a temp file.
    ``pypi_platforms=False`` leaves out PyPI's list of platform tags (a local build)."""
    name = filename or path.name
    if name.endswith(".whl"):
        problems = _wheel_problems(path, name, pypi_platforms)
    elif name.endswith((".tar.gz", ".zip")):
        problems = _sdist_problems(path, name)
    else:
        problems = ["not a wheel (.whl) or sdist (.tar.gz, .zip)"]
    return Verdict(name, tuple(problems))


def check_files(paths: Iterable[Path]) -> list[Verdict]:
    return [check_file(path) for path in paths]


def require_valid(paths: Sequence[Path], consequence: str) -> None:
    """Raise DistributionCheckFailed, naming every problem, when a file fails the check."""
    bad = [v for v in check_files(paths) if not v.ok]
    if bad:
        lines = "\n".join(f"  {v.line()}" for v in bad)
        raise DistributionCheckFailed(
            f"manywheel check found what PyPI would reject, {consequence}:\n{lines}\n"
            "Rebuild the distributions (manywheel build), or remove the broken files."
        )


def require_valid_wheel(path: Path, filename: str) -> None:
    """For a wheel landing in the output dir (``path`` is its temporary file): a broken
    wheel never lands, but one the user chose not to repair (``repair-wheel-command = ""``)
    keeps its linux_* tag; ``check`` and ``publish`` refuse that one."""
    verdict = check_file(path, filename, pypi_platforms=False)
    if not verdict.ok:
        raise DistributionCheckFailed(
            f"{filename} is not a valid wheel, so it was not delivered: "
            + "; ".join(verdict.problems)
        )


def _member_problems(names: Sequence[str]) -> list[str]:
    problems = [
        f"member {name} appears {count} times"
        for name, count in Counter(names).items()
        if count > 1
    ]
    for name in dict.fromkeys(names):
        path = PurePosixPath(name)
        if path.is_absolute() or name.startswith("\\") or (name[1:3] == ":/"):
            problems.append(f"member {name} is an absolute path")
        elif ".." in path.parts:
            problems.append(f"member {name} escapes the archive (..)")
    return problems


def _metadata_problems(data: bytes, label: str, name: str, version: Version) -> list[str]:
    raw, unparsed = parse_email(data)
    # setuptools < 77 writes License-File under Metadata-Version 2.1/2.2; twine leaves those
    # fields out of what it sends, so PyPI never sees them: do as twine does
    if (_version(raw.get("metadata_version", "0")) or Version("0")) < Version("2.4"):
        raw.pop("license_files", None)
        unparsed.pop("license-file", None)
    problems = [f"{label}: unrecognized or malformed field {key!r}" for key in unparsed]
    try:
        Metadata.from_raw(raw, validate=True)
    except ExceptionGroup as group:
        problems += [f"{label}: {exc}" for exc in group.exceptions]
    except InvalidMetadata as exc:
        problems.append(f"{label}: {exc}")
    found_name, found_version = raw.get("name"), raw.get("version")
    if found_name and canonicalize_name(found_name) != canonicalize_name(name):
        problems.append(f"{label}: name {found_name} does not match the file name's {name}")
    found = _version(found_version) if found_version else None
    if found is not None and found != version:
        problems.append(
            f"{label}: version {found_version} does not match the file name's {version}"
        )
    return problems


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None  # from_email has said so


def _wheel_problems(path: Path, filename: str, pypi_platforms: bool) -> list[str]:
    try:
        name, version, _, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        return [f"file name: {exc}"]
    problems = [
        f"platform tag {platform} is not accepted by PyPI (repair the wheel with auditwheel "
        "for a manylinux/musllinux tag)"
        for platform in sorted({tag.platform for tag in tags})
        if pypi_platforms and not pypi_accepts(platform)
    ]
    try:
        with zipfile.ZipFile(path) as zf:
            return problems + _wheel_content_problems(zf, name, version, tags)
    except (zipfile.BadZipFile, OSError) as exc:
        return [*problems, f"not a readable zip archive ({exc})"]


def _wheel_content_problems(
    zf: zipfile.ZipFile, name: str, version: Version, tags: frozenset[Tag]
) -> list[str]:
    infos = zf.infolist()
    problems = _member_problems([i.filename for i in infos])
    first = min((i.header_offset for i in infos), default=0)
    if first:  # zipfile tolerates a prefix; another reader may take it for content
        problems.append(f"{first} bytes of other data before the first member")
    dist_infos = sorted(
        {
            i.filename.split("/")[0]
            for i in infos
            if i.filename.split("/")[0].endswith(".dist-info") and "/" in i.filename
        }
    )
    if len(dist_infos) != 1:
        return [*problems, f"expected one .dist-info directory, found {len(dist_infos)}"]
    dist_info = dist_infos[0]
    members = {i.filename for i in infos}
    wheel_file, metadata = f"{dist_info}/WHEEL", f"{dist_info}/METADATA"
    if wheel_file in members:
        problems += _tag_problems(zf.read(wheel_file), tags)
    else:
        problems.append(f"WHEEL: {wheel_file} is missing")
    if metadata in members:
        problems += _metadata_problems(zf.read(metadata), "METADATA", name, version)
    else:
        problems.append(f"METADATA: {metadata} is missing")
    return problems + _record_problems(zf, infos, dist_info)


def _tag_problems(data: bytes, tags: frozenset[Tag]) -> list[str]:
    listed: set[Tag] = set()
    for line in BytesHeaderParser().parsebytes(data).get_all("Tag") or []:
        listed |= parse_tag(line.strip())
    if listed == tags:
        return []

    def shown(found: Iterable[Tag]) -> str:
        return ", ".join(sorted(map(str, found))) or "none"

    return [f"WHEEL: tags {shown(listed)} do not match the file name's {shown(tags)}"]


def _digest(zf: zipfile.ZipFile, info: zipfile.ZipInfo, algorithm: str) -> tuple[str, int]:
    digest, size = hashlib.new(algorithm), 0
    with zf.open(info) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode(), size


def _record_problems(
    zf: zipfile.ZipFile, infos: Sequence[zipfile.ZipInfo], dist_info: str
) -> list[str]:
    record = f"{dist_info}/RECORD"
    try:
        text = zf.read(record).decode("utf-8")
    except KeyError:
        return [f"RECORD: {record} is missing"]
    except UnicodeDecodeError:
        return ["RECORD: not UTF-8 text"]
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(text)) if row}
    problems: list[str] = []
    unlisted = {f"{dist_info}/{n}" for n in _UNLISTED}
    for info in infos:
        if info.is_dir() or info.filename in unlisted:
            continue
        problems += _entry_problems(zf, info, rows.pop(info.filename, None))
    for gone in sorted(set(rows) - unlisted):
        problems.append(f"RECORD: lists {gone}, which is not in the wheel")
    return problems


def _entry_problems(zf: zipfile.ZipFile, info: zipfile.ZipInfo, row: list[str] | None) -> list[str]:
    member = info.filename
    if row is None:
        return [f"RECORD: {member} is not listed"]
    recorded_hash, recorded_size = [*row, "", ""][:2]
    algorithm, _, expected = recorded_hash.partition("=")
    if algorithm not in _HASHES:
        return [f"RECORD: {member} has no sha256 hash (found {recorded_hash or 'none'})"]
    try:
        actual, size = _digest(zf, info, algorithm)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        return [f"member {member} cannot be read ({exc})"]
    problems = []
    if actual != expected:
        problems.append(f"RECORD: hash of {member} does not match")
    if recorded_size != str(size):
        problems.append(
            f"RECORD: size of {member} does not match ({recorded_size or 'none'} "
            f"recorded, {size} in the wheel)"
        )
    return problems


def _sdist_problems(path: Path, filename: str) -> list[str]:
    try:
        name, version = parse_sdist_filename(filename)
    except InvalidSdistFilename as exc:
        return [f"file name: {exc}"]
    is_zip = filename.endswith(".zip")
    top = filename.removesuffix(".zip") if is_zip else filename.removesuffix(".tar.gz")
    try:
        names, links, pkg_info = _sdist_members(path, is_zip, f"{top}/PKG-INFO")
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as exc:
        return [f"not a readable {'zip' if is_zip else 'tar.gz'} archive ({exc})"]
    problems = _member_problems(names)
    for member in dict.fromkeys(names):
        if member != top and not member.startswith(f"{top}/"):
            problems.append(f"member {member} is outside the top directory {top}/")
    for member, target in links:
        if target != top and not target.startswith(f"{top}/"):
            problems.append(f"member {member} links outside the top directory {top}/")
    if pkg_info is None:
        return [*problems, f"PKG-INFO: {top}/PKG-INFO is missing"]
    return problems + _metadata_problems(pkg_info, "PKG-INFO", name, version)


def _sdist_members(
    path: Path, is_zip: bool, pkg_info: str
) -> tuple[list[str], list[tuple[str, str]], bytes | None]:
    """Member names, (link, where it points) for links, and the PKG-INFO's content."""
    data = None
    if is_zip:
        with zipfile.ZipFile(path) as zf:
            names = [i.filename.rstrip("/") for i in zf.infolist()]
            if pkg_info in names:
                data = zf.read(pkg_info)
        return names, [], data
    names, links = [], []
    with tarfile.open(path, "r:gz") as tf:
        for member in tf:
            names.append(member.name.rstrip("/"))
            if member.issym() or member.islnk():
                base = posixpath.dirname(member.name) if member.issym() else ""
                target = posixpath.normpath(posixpath.join(base, member.linkname))
                links.append((member.name, target))
            if member.name == pkg_info and member.isfile():
                fh = tf.extractfile(member)
                data = fh.read() if fh else None
    return names, links, data
