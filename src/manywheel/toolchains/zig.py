"""The zig toolchain: portable manylinux wheels from a newer host, without a container.

``zig cc -target x86_64-linux-gnu.2.17`` compiles and links against glibc 2.17's symbol
versions whatever the host's glibc is. Wrapper scripts written into the job's work dir stand in
for CC, CXX, LDSHARED, AR and RANLIB (setuptools, meson and CMake all read these), drop the
GCC-only flags clang rejects (zigcc.py), and make ``zig c++`` link libc++ statically, so the wheel
needs nothing from the host beyond glibc.
"""

from __future__ import annotations

import re
import stat
import sys
from pathlib import Path

from manywheel.errors import ConfigError, EnvironmentProblem
from manywheel.toolchains.sysroot import Sysroot

# manylinux arch -> zig's target (before the glibc version)
ZIG_TARGETS = {
    "x86_64": "x86_64-linux-gnu",
    "aarch64": "aarch64-linux-gnu",
    "i686": "x86-linux-gnu",
    "ppc64le": "powerpc64le-linux-gnu",
    "s390x": "s390x-linux-gnu",
    "armv7l": "arm-linux-gnueabihf",
    "riscv64": "riscv64-linux-gnu",
}
# The CPU a wheel may assume, where zig's default for the target assumes more. manylinux's
# armv7l is Debian's and Ubuntu's armhf: ARMv7-A, Thumb-2, VFPv3 with 16 double registers, the
# hard-float ABI, no NEON (zig's generic arm CPU has NEON and 32 registers, which an armhf
# board without them would trap on). The others' defaults are the policies' baselines.
ZIG_CPU_FLAGS: dict[str, tuple[str, ...]] = {
    "armv7l": ("-mcpu=generic+v7a+vfp3d16+thumb2-neon-d32",),
}
# The oldest glibc whose headers zig ships for an arch, where that is above a policy's: zig
# has none older than 2.19 for powerpc64le. The symbol versions of ppc64le's glibc start at
# GLIBC_2.17 (the port's base), so a module that calls nothing newer still meets
# manylinux2014; auditwheel's repair checks that, and refuses a module that does not.
ZIG_GLIBC_FLOOR = {"ppc64le": "2.19"}
DEFAULT_POLICY = "manylinux2014"
ZIG_REQUIREMENT = "ziglang>=0.13"  # as manywheel's zig extra (pyproject.toml)
_ALIASES = {
    "manylinux2014": "manylinux_2_17",
    "manylinux2010": "manylinux_2_12",
    "manylinux1": "manylinux_2_5",
}
_POLICY = re.compile(r"^manylinux_2_(\d+)$")
CRYPT_H = """/* manywheel: stand-in for libcrypt's header, which zig does not ship */
#ifndef _CRYPT_H
#define _CRYPT_H 1
char *crypt(const char *key, const char *salt);
#endif
"""
_WRAPPER = """#!{python} -I
# manywheel: zig as {tool}, targeting {target}
import sys
sys.path.append({package_parent!r})
from manywheel.toolchains.zigcc import main
sys.exit(main({zig!r}, {prefix!r}, {target!r}, sys.argv[1:],
              link_prefix={link_prefix!r}, image={image!r}))
"""


def policy_glibc(policy: str, source: str = "manylinux-policy") -> tuple[str, str]:
    """'manylinux2014' -> ('manylinux_2_17', '2.17')."""
    name = _ALIASES.get(policy or DEFAULT_POLICY, policy or DEFAULT_POLICY)
    match = _POLICY.match(name)
    if not match:
        raise ConfigError(
            f"{source}: {policy!r} is not a manylinux policy the zig toolchain can target; use "
            "manylinux2014, manylinux_2_28 or another manylinux_2_X (musllinux is not supported)."
        )
    return name, f"2.{match[1]}"


def refuse_musllinux(build: str, source: str = "build") -> None:
    """zig could compile for x86_64-linux-musl, but the wheel's tests need a musl CPython, which
    a glibc host does not have: musllinux wheels are built in a musllinux image instead."""
    named = [word for word in build.split() if "musllinux" in word]
    if named:
        raise ConfigError(
            f"{source}: {named[0]!r} selects musllinux wheels, which the zig toolchain does not "
            "build: it compiles with the host's CPythons, which use glibc, so the wheel could be "
            "neither built for musl's CPython nor tested. Build musllinux wheels in a musllinux "
            "image with --platform podman or docker (without --toolchain zig), and manylinux "
            "wheels with zig in a separate run."
        )


def zig_binary() -> str:
    try:
        import ziglang
    except ImportError:
        raise EnvironmentProblem(
            "--toolchain zig needs the ziglang package, which is not installed in manywheel's "
            "environment. Install it: pip install 'manywheel[zig]' (or pip install ziglang)."
        ) from None
    path = Path(ziglang.__file__).parent / "zig"
    if not path.is_file():
        raise EnvironmentProblem(
            f"the ziglang package has no zig executable at {path}; "
            "reinstall it: pip install --force-reinstall ziglang."
        )
    return str(path)


def zig_target(arch: str, glibc: str) -> str:
    """'armv7l', '2.17' -> 'arm-linux-gnueabihf.2.17'."""
    if arch not in ZIG_TARGETS:
        raise ConfigError(f"--toolchain zig cannot target {arch}.")
    floor = ZIG_GLIBC_FLOOR.get(arch, glibc)
    if _version(floor) > _version(glibc):
        glibc = floor
    return f"{ZIG_TARGETS[arch]}.{glibc}"


def _version(glibc: str) -> tuple[int, ...]:
    return tuple(int(part) for part in glibc.split("."))


def write_wrappers(
    directory: Path, arch: str, glibc: str, sysroot: Sysroot | None = None
) -> dict[str, str]:
    """Write cc/c++/ar/ranlib wrappers into directory; return the build environment.

    A cross build's ``sysroot`` (the target image's libraries and headers) is searched after
    zig's own libc headers and after the build's own -L dirs: zig's glibc stays the one
    compiled against, the image provides the rest (zlib.h, -lz)."""
    zig = zig_binary()
    target = zig_target(arch, glibc)
    directory.mkdir(parents=True, exist_ok=True)
    # Python 3.8's Python.h includes <crypt.h>, which zig's glibc headers do not ship
    shims = directory / "include"
    shims.mkdir(exist_ok=True)
    (shims / "crypt.h").write_text(CRYPT_H)
    compile_prefix = ["-target", target, *ZIG_CPU_FLAGS.get(arch, ()), "-idirafter", str(shims)]
    link_prefix: list[str] = []
    if sysroot is not None:
        for include in sysroot.host_include_dirs:
            compile_prefix += ["-idirafter", include]
        link_prefix = [f"-L{d}" for d in sysroot.host_lib_dirs]
    tools = {
        "cc": ["cc", *compile_prefix],
        "c++": ["c++", *compile_prefix],
        "ar": ["ar"],
        "ranlib": ["ranlib"],
    }
    for name, prefix in tools.items():
        path = directory / f"zig-{name}"
        path.write_text(
            _WRAPPER.format(
                python=sys.executable,
                tool=name,
                target=target,
                package_parent=str(Path(__file__).resolve().parents[2]),
                zig=zig,
                prefix=prefix,
                link_prefix=link_prefix if name in ("cc", "c++") else [],
                image=sysroot.image if sysroot is not None else "",
            )
        )
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    cc, cxx = str(directory / "zig-cc"), str(directory / "zig-c++")
    return {
        "CC": cc,
        "CXX": cxx,
        "LDSHARED": f"{cc} -shared",
        "LDCXXSHARED": f"{cxx} -shared",
        "AR": str(directory / "zig-ar"),
        "RANLIB": str(directory / "zig-ranlib"),
        "ZIG_LOCAL_CACHE_DIR": str(directory / "cache"),
    }
