"""Selecting build identifiers: ``build``/``skip`` patterns, requires-python, enable groups."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from manywheel.config.identifiers import (
    GRAALPY_UNSUPPORTED,
    PRERELEASE_VERSIONS,
    Identifier,
    pypy_group,
    universe,
)
from manywheel.errors import ConfigError

# The opt-in groups of the enable option: cibuildwheel 4's for Linux CPython and PyPy, its 3.x
# cpython-freethreading (for cp313t), and manywheel's cpython-eol
ENABLE_GROUPS = ("cpython-freethreading", "cpython-prerelease", "cpython-eol", "pypy", "pypy-eol")
_BRACES = re.compile(r"\{([^{}]*)\}")
_PATTERN_CHARS = re.compile(r"^[a-z0-9_*?\[\]{},!-]+$")


def expand_braces(pattern: str) -> list[str]:
    """``cp3{11,12}-*`` -> ``['cp311-*', 'cp312-*']`` (nested and repeated braces too)."""
    match = _BRACES.search(pattern)
    if match is None:
        return [pattern]
    out: list[str] = []
    for choice in match.group(1).split(","):
        out.extend(expand_braces(pattern[: match.start()] + choice + pattern[match.end() :]))
    return out


@dataclass(frozen=True)
class Selector:
    """Space-separated fnmatch patterns with ``{a,b}`` braces, as in cibuildwheel."""

    text: str
    source: str

    @property
    def patterns(self) -> list[str]:
        return [p for word in self.text.split() for p in expand_braces(word)]

    def matches(self, identifier: Identifier | str) -> bool:
        name = str(identifier)
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.patterns)

    def names_version(self, identifier: Identifier) -> bool:
        """Whether a pattern matching it names its CPython version: 'cp313-*' or
        'cp3{11,13}-*' do, '*' and 'cp3*' (which match many versions) do not."""
        name = str(identifier)
        for pattern in self.patterns:
            if fnmatch.fnmatchcase(name, pattern):
                versions = {i.version for i in universe() if fnmatch.fnmatchcase(str(i), pattern)}
                if versions == {identifier.version}:
                    return True
        return False

    def validate(self) -> None:
        """Reject patterns that cannot match any identifier manywheel knows (typos)."""
        known = [str(i) for i in universe()]
        for word in self.text.split():
            if not _PATTERN_CHARS.match(word) or word.count("{") != word.count("}"):
                raise ConfigError(
                    f"{self.source}: '{word}' is not a valid selector pattern. Patterns are "
                    "fnmatch globs over build identifiers with optional {a,b} braces, "
                    "for example 'cp312-*' or 'cp3{11,12}-manylinux_x86_64'."
                )
            if word.startswith("gp"):
                raise ConfigError(
                    f"{self.source}: '{word}' selects GraalPy. {GRAALPY_UNSUPPORTED} "
                    "Remove the pattern (a skip pattern for GraalPy is not needed either)."
                )
            if not any(fnmatch.fnmatchcase(k, p) for p in expand_braces(word) for k in known):
                raise ConfigError(
                    f"{self.source}: the pattern '{word}' matches no build identifier. "
                    "Identifiers look like 'cp312-manylinux_x86_64', "
                    "'cp313t-musllinux_aarch64' or 'pp311-manylinux_x86_64'; run "
                    "'manywheel plan' to list the ones available here."
                )


def is_prerelease(identifier: Identifier, full_version: str) -> bool:
    """A CPython with no final release: a known pre-release minor version, or an interpreter
    that says so itself (3.15.0rc1 found on the host)."""
    if identifier.version in PRERELEASE_VERSIONS:
        return True
    try:
        return Version(full_version.rstrip("+")).is_prerelease  # 3.15.0a1+: a dev build
    except InvalidVersion:
        return False


def python_version_allowed(requires_python: SpecifierSet | None, full_version: str) -> bool:
    if requires_python is None:
        return True
    return requires_python.contains(Version(full_version), prereleases=True)


@dataclass(frozen=True)
class BuildSelection:
    """Everything that decides whether an identifier is built."""

    build: Selector
    skip: Selector
    requires_python: SpecifierSet | None
    enable: frozenset[str]

    def group_needed(self, identifier: Identifier, full_version: str) -> str | None:
        """The enable group that selects this identifier and is not enabled, if any."""
        if identifier.is_pypy:  # all of PyPy is opt-in, as in cibuildwheel 4
            group = pypy_group(identifier.version)
            return None if group in self.enable else group
        # as cibuildwheel 3: 3.13t is opt-in (experimental), 3.14t and later are built
        if (
            identifier.free_threaded
            and identifier.version < (3, 14)
            and "cpython-freethreading" not in self.enable
        ):
            return "cpython-freethreading"
        if identifier.version < (3, 8) and "cpython-eol" not in self.enable:
            return "cpython-eol"
        if is_prerelease(identifier, full_version) and "cpython-prerelease" not in self.enable:
            return "cpython-prerelease"
        return None

    def selected(self, identifier: Identifier, full_version: str) -> bool:
        if self.group_needed(identifier, full_version) is not None:
            return False
        if not python_version_allowed(self.requires_python, full_version):
            return False
        return self.build.matches(identifier) and not self.skip.matches(identifier)

    def filter(self, candidates: Iterable[tuple[Identifier, str]]) -> list[Identifier]:
        return [ident for ident, version in candidates if self.selected(ident, version)]
