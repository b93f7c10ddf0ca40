"""The container formats PyPI takes: ZIP (wheels) and gzipped tar (sdists), read as PyPI does.

A ZIP may only use the STORED and DEFLATED methods, must not expand more than 50 times once
past 64 MiB, and must pass PyPI's framing check (zip_framing). A tar must open as gzipped tar
and hold no sparse member. A file that both readers take (a polyglot) is refused. Each message
is what PyPI answers, after its "Invalid distribution file." prefix.
"""

from __future__ import annotations

import tarfile
import zipfile
import zlib
from pathlib import Path

from manywheel.release.problems import Problem, pypi
from manywheel.release.zip_framing import framing_error

_MIB = 1024 * 1024
RATIO_FLOOR = 64 * _MIB  # below this much content, any ratio is fine
RATIO_LIMIT = 50
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


def invalid(reason: str) -> Problem:
    return pypi(f"Invalid distribution file. {reason}")


def _both_formats(path: Path) -> bool:
    return zipfile.is_zipfile(path) and tarfile.is_tarfile(path)


def zip_problems(path: Path) -> list[Problem]:
    """What PyPI refuses in a ZIP (a wheel, or a .zip sdist) as a container."""
    if _both_formats(path):
        return [invalid("File is both a zip and a tar file")]
    if not zipfile.is_zipfile(path):
        return [invalid("File is not a zipfile")]
    try:
        with zipfile.ZipFile(path) as archive:
            problems = _zip_content_problems(path, archive)
            reason = framing_error(archive)
    except zipfile.BadZipFile as exc:
        # PyPI gives no reason here ("None"); zipfile's own says what is wrong
        return [invalid(f"None (zipfile: {exc})")]
    if reason:
        problems.append(invalid(f"ZIP archive not accepted: {reason}."))
    return problems


def _zip_content_problems(path: Path, archive: zipfile.ZipFile) -> list[Problem]:
    infos = archive.infolist()
    problems = []
    expanded = sum(i.file_size for i in infos)
    if expanded > RATIO_FLOOR and expanded / path.stat().st_size > RATIO_LIMIT:
        problems.append(invalid(f"File exceeds compression ratio of {RATIO_LIMIT}"))
    if any(i.compress_type not in _METHODS for i in infos):
        problems.append(invalid("File does not use a supported compression type"))
    return problems


def tar_problems(path: Path) -> list[Problem]:
    """What PyPI refuses in a .tar.gz sdist as a container."""
    if _both_formats(path):
        return [invalid("File is both a zip and a tar file")]
    if not tarfile.is_tarfile(path):
        return [invalid("File is not a tarfile")]
    try:
        with tarfile.open(path, "r:gz") as archive:
            if any(member.issparse() for member in archive.getmembers()):
                return [invalid("tar archive not accepted: Sparse members are not allowed.")]
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        return [invalid(f"None (tarfile: {exc})")]
    return []
