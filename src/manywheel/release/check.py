"""``manywheel check``: what PyPI refuses on upload, found before uploading.

Each file gets PyPI's rules (file name: filename_rules; container: archive_rules; metadata:
metadata_rules; wheel and sdist content: wheel_rules, sdist_rules), each problem with PyPI's
own reason, then manywheel's integrity rules (RECORD, WHEEL tags, member paths), which PyPI
does not apply. What needs PyPI's database (the file or its name used before, size limits, a
new project's name, permissions) cannot be checked here.
"""

from __future__ import annotations

import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version

from manywheel.errors import DistributionCheckFailed
from manywheel.release import archive_rules, filename_rules, sdist_rules, wheel_rules
from manywheel.release.metadata_rules import UploadMetadata, read_metadata
from manywheel.release.problems import Problem, broken, twine

_UNREADABLE = (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, zlib.error)


@dataclass(frozen=True)
class Verdict:
    """The problems found in one distribution file (none: PyPI would take it)."""

    name: str
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def refused_on_upload(self) -> bool:
        return any(p.refused_on_upload for p in self.problems)

    def lines(self) -> list[str]:
        """``name: ok``, or a headline and one indented line per problem."""
        if self.ok:
            return [f"{self.name}: ok"]
        if self.refused_on_upload:
            headline = f"{self.name}: PyPI would reject it"
        else:
            headline = f"{self.name}: broken (PyPI would take it; installers may not)"
        return [headline, *(f"  {problem}" for problem in self.problems)]


def check_file(path: Path, filename: str | None = None, *, pypi_rules: bool = True) -> Verdict:
    """Check one wheel or sdist; ``filename`` is its real name when ``path`` is a temp file.
    ``pypi_rules=False`` keeps to what makes a wheel invalid (a local build): no platform
    tags, spelling, archive framing or metadata policy of PyPI's."""
    name = filename or path.name
    if name.endswith(".whl"):
        problems = _wheel_problems(path, name, pypi_rules)
    elif name.endswith((".tar.gz", ".zip")):
        problems = _sdist_problems(path, name)
    else:
        problems = [twine(f"Unknown distribution format: '{name}'")]
    return Verdict(name, tuple(problems))


def check_files(paths: Iterable[Path]) -> list[Verdict]:
    return [check_file(path) for path in paths]


def require_valid(paths: Sequence[Path], consequence: str) -> None:
    """Raise DistributionCheckFailed, naming every problem, when a file fails the check."""
    bad = [v for v in check_files(paths) if not v.ok]
    if bad:
        found = (
            "what PyPI would reject"
            if any(v.refused_on_upload for v in bad)
            else "broken distributions"
        )
        lines = "\n".join(f"  {line}" for v in bad for line in v.lines())
        raise DistributionCheckFailed(
            f"manywheel check found {found}, {consequence}:\n{lines}\n"
            "Fix what each line names (the project's metadata, or rebuild the distributions "
            "with manywheel build), or remove the broken files."
        )


def require_valid_wheel(path: Path, filename: str) -> None:
    """For a wheel landing in the output dir (``path`` is its temporary file): a broken
    wheel never lands, but one PyPI would refuse for its policy (a linux_* tag when the user
    chose not to repair, a local version, an unknown classifier) does: ``check`` and
    ``publish`` refuse that one."""
    verdict = check_file(path, filename, pypi_rules=False)
    if not verdict.ok:
        raise DistributionCheckFailed(
            f"{filename} is not a valid wheel, so it was not delivered: "
            + "; ".join(p.message for p in verdict.problems)
        )


def _wheel_problems(path: Path, filename: str, pypi_rules: bool) -> list[Problem]:
    problems = filename_rules.upload_name_problems(filename) if pypi_rules else []
    try:
        tags = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename:
        return problems + filename_rules.wheel_name_problems(filename, None, None)
    if pypi_rules:
        problems += archive_rules.zip_problems(path)
    try:
        with zipfile.ZipFile(path) as zf:
            return problems + _wheel_content_problems(zf, filename, tags, pypi_rules)
    except _UNREADABLE as exc:
        # with PyPI's rules, archive_rules has most likely said why, in PyPI's words
        return problems or [broken(f"not a readable zip archive ({exc})")]


def _wheel_content_problems(
    zf: zipfile.ZipFile, filename: str, tags: frozenset[Tag], pypi_rules: bool
) -> list[Problem]:
    problems: list[Problem] = []
    member = wheel_rules.metadata_member(zf)
    meta = read_metadata(zf.read(member), pypi_rules=pypi_rules) if member else None
    if meta is None:
        problems.append(wheel_rules.no_metadata(filename))
    else:
        problems += meta.problems
        name, version = _name_and_version(meta)
        problems += filename_rules.wheel_name_problems(filename, name, version, policy=pypi_rules)
    if pypi_rules:
        license_files = (meta.field("license_files") if meta else None) or []
        problems += wheel_rules.pypi_content_problems(zf, filename, license_files)
    names = [info.filename for info in zf.infolist()]
    # with PyPI's rules, its framing check reports a duplicate and its content rules a
    # missing WHEEL, METADATA or RECORD
    problems += wheel_rules.member_problems(names, duplicates=not pypi_rules)
    problems += wheel_rules.own_content_problems(zf, tags, presence=not pypi_rules)
    return problems


def _name_and_version(meta: UploadMetadata) -> tuple[str | None, Version | None]:
    name = meta.field("name")
    return (name if isinstance(name, str) else None), meta.field("version")


def _sdist_problems(path: Path, filename: str) -> list[Problem]:
    problems = filename_rules.upload_name_problems(filename)
    is_zip = filename.endswith(".zip")
    container = archive_rules.zip_problems(path) if is_zip else archive_rules.tar_problems(path)
    problems += container
    try:
        content = sdist_rules.read_sdist(path, filename)
    except (tarfile.TarError, *_UNREADABLE) as exc:
        # archive_rules has most likely said why, in PyPI's words
        return problems if container else [*problems, broken(f"not a readable archive ({exc})")]
    problems += content.problems
    meta = read_metadata(content.pkg_info) if content.pkg_info is not None else None
    name, version = _name_and_version(meta) if meta else (None, None)
    if meta is not None:
        problems += meta.problems
        license_files = meta.field("license_files") or []
        problems += sdist_rules.license_problems(content, filename, license_files)
    problems += filename_rules.sdist_name_problems(filename, name, version)
    return problems + sdist_rules.own_problems(content)
