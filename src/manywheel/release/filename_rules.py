"""What PyPI requires of an uploaded file's name, and of its agreement with the metadata.

Any file: no control character, no slash or backslash. A wheel: a name packaging parses, only
platform tags PyPI accepts, the project name exactly as normalised (lower case, runs of
``-_.`` as one ``_``), the metadata's version, and at most 246 bytes (PyPI stores the
wheel's METADATA beside it as ``<file name>.metadata``, and a file name has at most 255
bytes). An sdist (PEP 625): exactly ``{normalised name}-{version}.tar.gz``, the version as
packaging writes it.
"""

from __future__ import annotations

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from manywheel.release.problems import Problem, pypi
from manywheel.release.pypi_platforms import pypi_accepts

NAME_MAX = 255  # bytes in one file name (Linux, where PyPI runs)
WHEEL_NAME_MAX = NAME_MAX - len(".metadata")
_CONTROL = frozenset(map(chr, range(32))) | {chr(127)}


def upload_name_problems(filename: str) -> list[Problem]:
    """What PyPI refuses in any uploaded file's name."""
    problems = []
    if _CONTROL.intersection(filename):
        problems.append(
            pypi(
                "Cannot upload a file with non-printable characters (ordinals 0-31) "
                "or the DEL character (ordinal 127) in the name."
            )
        )
    if "/" in filename or "\\" in filename:
        problems.append(pypi("Cannot upload a file with '/' or '\\' in the name."))
    return problems


def normalized(name: str) -> str:
    """The project name as a distribution file name spells it."""
    return canonicalize_name(name).replace("-", "_")


def wheel_name_problems(
    filename: str, name: str | None, version: Version | None, *, policy: bool = True
) -> list[Problem]:
    """``name`` and ``version``: the metadata's (None when it has none that is valid).
    ``policy=False`` leaves out the platform tags, spelling and length PyPI asks for."""
    try:
        parsed_name, parsed_version, _, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        return [pypi(str(exc))]
    problems = []
    if policy:
        problems += [
            pypi(f"Binary wheel '{filename}' has an unsupported platform tag '{platform}'.")
            for platform in sorted({tag.platform for tag in tags})
            if not pypi_accepts(platform)
        ]
    if name is not None and canonicalize_name(name) != parsed_name:
        problems.append(pypi(f"Start filename for {name!r} with {normalized(name)!r}."))
    elif name is not None and policy and filename.split("-", 1)[0] != normalized(name):
        spelled = filename.split("-", 1)[0]
        problems.append(
            pypi(
                f"Filename {filename!r} should contain the normalized project name "
                f"{normalized(name)!r}, not {spelled!r}."
            )
        )
    if version is not None and version != parsed_version:
        problems.append(
            pypi(f"Version in filename should be {str(version)!r} not {str(parsed_version)!r}.")
        )
    if policy and len(filename.encode()) > WHEEL_NAME_MAX:
        problems.append(pypi(f"Filename is too long: '{filename}'"))
    return problems


def sdist_name_problems(filename: str, name: str | None, version: Version | None) -> list[Problem]:
    """PEP 625, as PyPI enforces it; ``name`` and ``version`` as for wheel_name_problems."""
    try:
        parsed, _ = parse_sdist_filename(filename)
    except InvalidSdistFilename:
        return [pypi(f"Invalid source distribution filename: {filename}")]
    if name is None or version is None:
        return []
    from_filename = _with_hyphenated_post_release(filename, parsed, name, version)
    if canonicalize_name(from_filename) != canonicalize_name(name):
        return [pypi(f"Start filename for {name!r} with {normalized(name)!r}.")]
    expected = f"{normalized(name)}-{version}.tar.gz"
    if filename != expected:
        return [pypi(f"Filename {filename!r} is invalid, should be {expected!r}.")]
    return []


def _with_hyphenated_post_release(
    filename: str, from_filename: str, name: str, version: Version
) -> str:
    """PyPI's second reading of ``name-1.0-1.tar.gz`` (a post-release written with a hyphen):
    the name is what comes before the second-to-last hyphen. PyPI keeps that reading even when
    the rest is no version, so this does too."""
    if (
        not version.is_postrelease
        or from_filename == canonicalize_name(name)
        or filename.count("-") < 2
    ):
        return from_filename
    return filename.rpartition("-")[0].rpartition("-")[0]
