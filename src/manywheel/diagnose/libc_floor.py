"""The oldest libc a wheel installs on (from its platform tags), and the host's own libc.

A native build links against the host's glibc, so its wheel can need a glibc as new as the
host's. cibuildwheel's default images (manylinux_2_28, musllinux_1_2) set the floor users
expect; a wheel above it is worth a warning that says so and what to do instead.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from typing import Literal

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

Libc = Literal["glibc", "musl"]

# the floors of cibuildwheel's default images: manylinux_2_28 and musllinux_1_2
DEFAULT_FLOORS: dict[Libc, tuple[int, int]] = {"glibc": (2, 28), "musl": (1, 2)}
DEFAULT_POLICIES: dict[Libc, str] = {"glibc": "manylinux_2_28", "musl": "musllinux_1_2"}
_LEGACY = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
_PEP600 = re.compile(r"^(?P<kind>manylinux|musllinux)_(?P<major>\d+)_(?P<minor>\d+)_")


@dataclass(frozen=True, order=True)
class LibcFloor:
    libc: Libc
    version: tuple[int, int]

    def __str__(self) -> str:
        return f"{self.libc} {self.version[0]}.{self.version[1]}"

    @property
    def above_default(self) -> bool:
        return self.version > DEFAULT_FLOORS[self.libc]


def platform_floor(platform: str) -> LibcFloor | None:
    """``manylinux_2_34_x86_64`` -> glibc 2.34; ``musllinux_1_2_aarch64`` -> musl 1.2."""
    legacy = platform.split("_", 1)[0]
    if legacy in _LEGACY:
        return LibcFloor("glibc", _LEGACY[legacy])
    match = _PEP600.match(platform)
    if match is None:
        return None
    libc: Libc = "glibc" if match["kind"] == "manylinux" else "musl"
    return LibcFloor(libc, (int(match["major"]), int(match["minor"])))


def wheel_floor(filename: str) -> LibcFloor | None:
    """The oldest libc the wheel installs on: the lowest of its platform tags."""
    try:
        _, _, _, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return None
    floors = [f for f in (platform_floor(tag.platform) for tag in tags) if f is not None]
    return min(floors) if floors else None


def host_libc() -> LibcFloor | None:
    """The libc of this machine: glibc from confstr, musl from the interpreter's loader."""
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError, AttributeError):
        text = ""
    match = re.fullmatch(r"glibc (\d+)\.(\d+).*", text)
    if match:
        return LibcFloor("glibc", (int(match[1]), int(match[2])))
    from packaging import _musllinux  # the loader's banner is the only place musl says it

    musl = _musllinux._get_musl_version(sys.executable)
    return LibcFloor("musl", (musl.major, musl.minor)) if musl else None


def wheel_warning(filename: str, host: LibcFloor | None) -> str | None:
    """What to tell the user about a natively built wheel whose tag is above the default."""
    floor = wheel_floor(filename)
    if floor is None or not floor.above_default:
        return None
    whose = " (this host's)" if host == floor else ""
    instead = (
        "--toolchain zig or --platform podman" if floor.libc == "glibc" else "--platform podman"
    )
    return (
        f"{filename} needs {floor}{whose}, newer than {DEFAULT_POLICIES[floor.libc]} (the "
        f"default of pypa's images), so it does not install on older systems; for wider "
        f"reach use {instead}"
    )


def host_statement(
    host: LibcFloor | None, toolchain: str, zig_policy: str = "", *, advice: bool = True
) -> str:
    """One line for ``plan`` and ``doctor``: how old a system native wheels can reach."""
    if toolchain == "zig":
        from manywheel.toolchains.zig import policy_glibc

        policy, glibc = policy_glibc(zig_policy)
        return f"native builds use zig: wheels target {policy} (glibc {glibc}), not the host's libc"
    if host is None:
        return "the host's libc is unknown; native wheels get the tag auditwheel finds"
    policy = "manylinux" if host.libc == "glibc" else "musllinux"
    tag = f"{policy}_{host.version[0]}_{host.version[1]}"
    text = (
        f"native builds link against this host's {host}: their wheels may need up to "
        f"{host} ({tag}) to install"
    )
    if host.above_default and advice:
        instead = (
            "--toolchain zig or --platform podman" if host.libc == "glibc" else "--platform podman"
        )
        text += f"; for {DEFAULT_POLICIES[host.libc]} wheels use {instead}"
    return text
