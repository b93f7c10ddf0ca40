"""Build identifiers: ``cp312-manylinux_x86_64``, ``cp313t-musllinux_aarch64``,
``pp311-manylinux_x86_64``."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

from manywheel.errors import ConfigError

PlatformKind = Literal["manylinux", "musllinux"]
Implementation = Literal["cp", "pp"]  # CPython, PyPy
PLATFORM_KINDS: tuple[PlatformKind, ...] = ("manylinux", "musllinux")
ARCHS: tuple[str, ...] = ("x86_64", "i686", "aarch64", "ppc64le", "s390x", "armv7l", "riscv64")
# CPython versions manywheel knows about, oldest first (3.8 is the oldest that is built by default).
PYTHON_VERSIONS: tuple[tuple[int, int], ...] = tuple((3, minor) for minor in range(6, 17))
FREE_THREADED_MIN = (3, 13)
# Versions with no final release yet: built only with enable = ["cpython-prerelease"] (as
# cibuildwheel 4.3, whose prerelease group is cp316 since 3.15.0 came out in October 2026).
PRERELEASE_VERSIONS: frozenset[tuple[int, int]] = frozenset({(3, 16)})
# The Python versions PyPy has implemented; all opt-in, as in cibuildwheel 4.3: the pypy group
# enables pp311 and later, the pypy-eol group the end-of-life ones (its selector's
# "pp3?-* pp310-*": pp37 to pp310).
PYPY_VERSIONS: tuple[tuple[int, int], ...] = tuple((3, minor) for minor in range(7, 13))
PYPY_EOL_BEFORE = (3, 11)
IMPLEMENTATION_NAMES: dict[Implementation, str] = {"cp": "CPython", "pp": "PyPy"}

_ID_RE = re.compile(
    r"^(?P<impl>cp|pp)(?P<major>3)(?P<minor>\d{1,2})(?P<t>t?)"
    r"-(?P<kind>manylinux|musllinux)_(?P<arch>[a-z0-9_]+)$"
)
GRAALPY_UNSUPPORTED = (
    "GraalPy is not supported yet: manywheel builds CPython and PyPy wheels only. Build "
    'GraalPy wheels with cibuildwheel (enable = ["graalpy"]) for now.'
)


@functools.total_ordering
@dataclass(frozen=True)
class Identifier:
    """One build: a CPython (maybe free-threaded) or PyPy version on a platform kind and arch.

    ``implementation`` comes last so that ``Identifier((3, 12), False, kind, arch)`` stays a
    CPython; identifiers sort CPython first, then PyPy, as cibuildwheel lists them."""

    version: tuple[int, int]
    free_threaded: bool
    kind: PlatformKind
    arch: str
    implementation: Implementation = "cp"

    def _key(self) -> tuple[str, tuple[int, int], bool, str, str]:
        return (self.implementation, self.version, self.free_threaded, self.kind, self.arch)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Identifier):
            return NotImplemented
        return self._key() < other._key()

    @property
    def python_tag(self) -> str:
        """The identifier's Python part: cp312, cp313t, pp39."""
        t = "t" if self.free_threaded else ""
        return f"{self.implementation}{self.version[0]}{self.version[1]}{t}"

    @property
    def is_pypy(self) -> bool:
        return self.implementation == "pp"

    def describe(self) -> str:
        """'CPython 3.12', 'CPython 3.13 (free-threaded)', 'PyPy 3.9'."""
        name = IMPLEMENTATION_NAMES[self.implementation]
        free = " (free-threaded)" if self.free_threaded else ""
        return f"{name} {self.version[0]}.{self.version[1]}{free}"

    def __str__(self) -> str:
        return f"{self.python_tag}-{self.kind}_{self.arch}"

    @classmethod
    def parse(cls, text: str) -> Identifier:
        if text.strip().startswith("gp"):
            raise ConfigError(f"'{text}' is a GraalPy identifier. {GRAALPY_UNSUPPORTED}")
        match = _ID_RE.match(text.strip())
        if (
            not match
            or match["arch"] not in ARCHS
            or (match["impl"] == "pp" and match["t"])  # PyPy has no free-threaded build
        ):
            raise ConfigError(
                f"'{text}' is not a build identifier. Identifiers look like "
                "'cp312-manylinux_x86_64', 'cp313t-musllinux_aarch64' or "
                f"'pp311-manylinux_x86_64' (archs: {', '.join(ARCHS)}); run 'manywheel plan' "
                "to list them."
            )
        return cls(
            version=(int(match["major"]), int(match["minor"])),
            free_threaded=bool(match["t"]),
            kind=match["kind"],  # type: ignore[arg-type]
            arch=match["arch"],
            implementation=match["impl"],  # type: ignore[arg-type]
        )


def pypy_group(version: tuple[int, int]) -> str:
    """The enable group that selects a PyPy version."""
    return "pypy-eol" if version < PYPY_EOL_BEFORE else "pypy"


def universe() -> list[Identifier]:
    """Every identifier manywheel could ever plan, used to check that selectors make sense."""
    out: list[Identifier] = []
    for kind in PLATFORM_KINDS:
        for arch in ARCHS:
            for version in PYTHON_VERSIONS:
                out.append(Identifier(version, False, kind, arch))
                if version >= FREE_THREADED_MIN:
                    out.append(Identifier(version, True, kind, arch))
            out += [Identifier(v, False, kind, arch, "pp") for v in PYPY_VERSIONS]
    return sorted(out)
