"""Build identifiers: ``cp312-manylinux_x86_64``, ``cp313t-musllinux_aarch64``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from manywheel.errors import ConfigError

PlatformKind = Literal["manylinux", "musllinux"]
PLATFORM_KINDS: tuple[PlatformKind, ...] = ("manylinux", "musllinux")
ARCHS: tuple[str, ...] = ("x86_64", "i686", "aarch64", "ppc64le", "s390x", "armv7l", "riscv64")
# CPython versions manywheel knows about, oldest first (3.8 is the oldest that is built by default).
PYTHON_VERSIONS: tuple[tuple[int, int], ...] = tuple((3, minor) for minor in range(6, 17))
FREE_THREADED_MIN = (3, 13)
# Versions with no final release yet: built only with enable = ["cpython-prerelease"] (as
# cibuildwheel 4.3, whose prerelease group is cp316 since 3.15.0 came out in October 2026).
PRERELEASE_VERSIONS: frozenset[tuple[int, int]] = frozenset({(3, 16)})

_ID_RE = re.compile(
    r"^cp(?P<major>3)(?P<minor>\d{1,2})(?P<t>t?)-(?P<kind>manylinux|musllinux)_(?P<arch>[a-z0-9_]+)$"
)


@dataclass(frozen=True, order=True)
class Identifier:
    """One build: a CPython version (maybe free-threaded) on a platform kind and arch."""

    version: tuple[int, int]
    free_threaded: bool
    kind: PlatformKind
    arch: str

    @property
    def python_tag(self) -> str:
        return f"cp{self.version[0]}{self.version[1]}{'t' if self.free_threaded else ''}"

    def __str__(self) -> str:
        return f"{self.python_tag}-{self.kind}_{self.arch}"

    @classmethod
    def parse(cls, text: str) -> Identifier:
        match = _ID_RE.match(text.strip())
        if not match or match["arch"] not in ARCHS:
            raise ConfigError(
                f"'{text}' is not a build identifier. Identifiers look like "
                "'cp312-manylinux_x86_64' or 'cp313t-musllinux_aarch64' "
                f"(archs: {', '.join(ARCHS)}); run 'manywheel plan' to list them."
            )
        return cls(
            version=(int(match["major"]), int(match["minor"])),
            free_threaded=bool(match["t"]),
            kind=match["kind"],  # type: ignore[arg-type]
            arch=match["arch"],
        )


def universe() -> list[Identifier]:
    """Every identifier manywheel could ever plan, used to check that selectors make sense."""
    out: list[Identifier] = []
    for version in PYTHON_VERSIONS:
        for free_threaded in (False, True):
            if free_threaded and version < FREE_THREADED_MIN:
                continue
            for kind in PLATFORM_KINDS:
                for arch in ARCHS:
                    out.append(Identifier(version, free_threaded, kind, arch))
    return out
