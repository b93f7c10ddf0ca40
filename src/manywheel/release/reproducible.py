"""Reproducible wheels: one SOURCE_DATE_EPOCH per run, and wheel zips normalised on landing.

The epoch (https://reproducible-builds.org/specs/source-date-epoch/) is the user's
SOURCE_DATE_EPOCH if set, else the time of the project's newest git commit, else the newest
member of the sdist, else 1980-01-01 (the earliest date a zip can hold). Build backends and
auditwheel read it from the environment; ``normalize_wheel`` then rewrites a wheel so that
nothing of the moment or machine it was built on is left in the zip itself.
"""

from __future__ import annotations

import calendar
import os
import shutil
import stat
import subprocess
import tarfile
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from manywheel.errors import ConfigError
from manywheel.planning.project import Project
from manywheel.release.zip_copy import Member, copy_members

ZIP_EPOCH = 315532800  # 1980-01-01T00:00:00Z: zip timestamps cannot be older
_ZIP_LAST = 4354819199  # 2107-12-31T23:59:59Z: nor newer

Origin = Literal["environment", "git", "sdist", "default"]


@dataclass(frozen=True)
class SourceDate:
    epoch: int
    origin: Origin  # where the value came from, for the report


def source_date(project: Project, environ: Mapping[str, str]) -> SourceDate:
    given = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if given:
        if not given.isdigit():
            raise ConfigError(
                f"SOURCE_DATE_EPOCH={given!r} is not a number of seconds since 1970 (an "
                "integer, e.g. the output of 'git log -1 --format=%ct'). Fix or unset it."
            )
        return SourceDate(int(given), "environment")
    if project.is_sdist:
        newest = _newest_member(project.path)
        if newest is not None:
            return SourceDate(newest, "sdist")
    else:
        committed = _last_commit(project.path)
        if committed is not None:
            return SourceDate(committed, "git")
    return SourceDate(ZIP_EPOCH, "default")


def _last_commit(path: Path) -> int | None:
    """Commit time of HEAD when ``path`` is in a git work tree (None without git)."""
    try:
        proc = subprocess.run(
            ["git", "log", "-1", "--format=%ct"],
            cwd=path,
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    out = proc.stdout.strip()
    return int(out) if proc.returncode == 0 and out.isdigit() else None


def _newest_member(sdist: Path) -> int | None:
    try:
        if sdist.name.endswith(".zip"):
            with zipfile.ZipFile(sdist) as zf:
                stamps = [calendar.timegm((*i.date_time, 0, 0, 0)) for i in zf.infolist()]
        else:
            with tarfile.open(sdist, "r:*") as tf:
                stamps = [int(m.mtime) for m in tf.getmembers()]
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, ValueError):
        return None
    return max(stamps, default=None)


def _rewrite(src: zipfile.ZipFile, members: list[Member], tmp: Path) -> None:
    """What copy_members writes, written by zipfile (each member compressed again)."""
    with zipfile.ZipFile(tmp, "w") as dst:
        for member in members:
            info = member.info
            out = zipfile.ZipInfo(info.filename, date_time=member.date_time)
            out.create_system = member.create_system
            out.external_attr = member.external_attr
            if info.is_dir():
                dst.writestr(out, b"")
                continue
            out.compress_type = zipfile.ZIP_DEFLATED
            big = info.file_size >= zipfile.ZIP64_LIMIT
            with src.open(info) as fin, dst.open(out, "w", force_zip64=big) as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)


def _attributes(info: zipfile.ZipInfo) -> int:
    """A member's external attributes in the normal form: its mode (_mode), a directory's
    0755 with the MS-DOS directory bit."""
    if info.is_dir():
        return (0o40755 << 16) | 0x10
    return _mode(info.external_attr >> 16) << 16


def _order(name: str) -> tuple[bool, bool, str]:
    """The wheel spec's order: the .dist-info directory last, its RECORD the very last."""
    top = name.split("/", maxsplit=1)[0]
    return (top.endswith(".dist-info"), name == f"{top}/RECORD", name)


def _mode(mode: int) -> int:
    """0644, or 0755 when anyone may execute it; a symbolic link stays one."""
    if stat.S_ISLNK(mode):
        return stat.S_IFLNK | 0o777
    return stat.S_IFREG | (0o755 if mode & 0o111 else 0o644)


def normalize_wheel(wheel: Path, epoch: int) -> None:
    """Rewrite ``wheel`` in place: members sorted (RECORD last), every timestamp the epoch
    (clamped to what a zip can hold), permissions 0644 or 0755, deflate, no extra fields.
    Member contents are copied unchanged, so RECORD stays valid; deflated ones as they are
    (release/zip_copy.py), or by zipfile when the archive needs ZIP64."""
    when = time.gmtime(min(max(epoch, ZIP_EPOCH), _ZIP_LAST))
    stamp = (when.tm_year, when.tm_mon, when.tm_mday, when.tm_hour, when.tm_min, when.tm_sec)
    tmp = wheel.with_name(wheel.name + ".normalized")
    try:
        with zipfile.ZipFile(wheel) as src:
            infos = sorted(src.infolist(), key=lambda i: _order(i.filename))
            members = [Member(i, stamp, _attributes(i)) for i in infos]
            if not copy_members(src, members, tmp):
                _rewrite(src, members, tmp)
        os.replace(tmp, wheel)
    finally:
        tmp.unlink(missing_ok=True)
