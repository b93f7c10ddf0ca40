"""What must be inside an sdist, as PyPI and twine read it, then manywheel's own rule.

The members' common path is the top directory; there must be one (no member beside it), with
a PKG-INFO that is a regular file holding a Metadata-Version field, and every License-File of
the metadata under it. manywheel also refuses a link pointing outside the top directory, an
absolute or ``..`` member, and a name listed twice (PyPI takes these).
"""

from __future__ import annotations

import posixpath
import tarfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from manywheel.release.archive_rules import invalid
from manywheel.release.problems import Problem, broken, pypi, twine
from manywheel.release.wheel_rules import member_problems


@dataclass
class SdistContent:
    """The member names (as the archive lists them), where links point, and PKG-INFO."""

    names: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    top: str = ""
    pkg_info: bytes | None = None
    problems: list[Problem] = field(default_factory=list)


def read_sdist(path: Path, filename: str) -> SdistContent:
    """Read ``path`` (a .tar.gz or a .zip) and apply the top-directory and PKG-INFO rules;
    raises tarfile.TarError, zipfile.BadZipFile, OSError or EOFError when it cannot."""
    content = SdistContent()
    if filename.endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            content.names = zf.namelist()
            _find_top(content, filename)
            if content.pkg_info is None and content.top:
                _take_pkg_info(content, filename, zf.read(f"{content.top}/PKG-INFO"))
        return content
    with tarfile.open(path, "r:gz") as tf:
        members = tf.getmembers()
        content.names = [m.name for m in members]
        content.links = [(m.name, _target(m)) for m in members if m.issym() or m.islnk()]
        _find_top(content, filename)
        if content.top:
            member = tf.getmember(f"{content.top}/PKG-INFO")
            if not member.isfile():
                content.problems.append(twine(f"PKG-INFO is not a regular file: {filename}"))
                return content
            fh = tf.extractfile(member)
            _take_pkg_info(content, filename, fh.read() if fh else b"")
    return content


def _target(member: tarfile.TarInfo) -> str:
    base = posixpath.dirname(member.name) if member.issym() else ""
    return posixpath.normpath(posixpath.join(base, member.linkname))


def _find_top(content: SdistContent, filename: str) -> None:
    """PyPI's reading: the top directory is the members' common path."""
    try:
        top = posixpath.commonpath(content.names) if content.names else ""
    except ValueError:  # absolute and relative members together
        top = ""
    if top in (".", "/", ""):
        content.problems.append(invalid("Incorrect number of top-level directories in sdist"))
    elif f"{top}/PKG-INFO" not in content.names:
        content.problems.append(invalid(f"PKG-INFO not found at {top}/PKG-INFO"))
    else:
        content.top = top


def _take_pkg_info(content: SdistContent, filename: str, data: bytes) -> None:
    if b"Metadata-Version" in data:
        content.pkg_info = data
    else:
        content.problems.append(
            twine(f"No PKG-INFO in archive or PKG-INFO missing 'Metadata-Version': {filename}")
        )


def license_problems(
    content: SdistContent, filename: str, license_files: Sequence[str]
) -> list[Problem]:
    problems = []
    for license_file in license_files:
        where = posixpath.join(content.top, license_file)
        if where not in content.names:
            problems.append(
                pypi(
                    f"License-File {license_file} does not exist in distribution file "
                    f"{filename} at {where}"
                )
            )
    return problems


def own_problems(content: SdistContent) -> list[Problem]:
    names = [name.rstrip("/") for name in content.names]
    problems = member_problems(names, duplicates=True)
    top = content.top
    for member, target in content.links:
        if top and target != top and not target.startswith(f"{top}/"):
            problems.append(broken(f"member {member} links outside the top directory {top}/"))
    return problems
