"""The platform tags PyPI accepts in an uploaded wheel's file name.

PyPI's upload endpoint keeps its own allow-list (it is not in packaging): fixed names for
Windows, the manylinux1/2010/2014 aliases and two 32-bit ARM Linux tags, then patterns for
manylinux_X_Y / musllinux_X_Y (PEP 600 / 656), macOS (10.x, or a listed major version with
minor 0), iOS, Android and Emscripten, each with the architectures it allows. ``linux_x86_64``
and other plain ``linux_*`` tags are refused: a wheel must be repaired (auditwheel) to carry a
portable tag before it can be uploaded. Like PyPI, the patterns are matched from the start of
the tag only.
"""

from __future__ import annotations

import re

_FIXED = frozenset(
    {
        "any",
        "win32",
        "win_amd64",
        "win_arm64",
        "win_ia64",
        "linux_armv6l",
        "linux_armv7l",
        *(f"manylinux1_{arch}" for arch in ("x86_64", "i686")),
        *(f"manylinux2010_{arch}" for arch in ("x86_64", "i686")),
        *(
            f"manylinux2014_{arch}"
            for arch in ("x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x")
        ),
    }
)
_LINUX_ARCHS = frozenset({"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"})
_ARCHS_BY_LIBC = {"many": _LINUX_ARCHS | {"ppc64"}, "musl": _LINUX_ARCHS}
_LINUX = re.compile(r"(?P<libc>many|musl)linux_\d+_\d+_(?P<arch>.*)")
_MACOS = re.compile(r"macosx_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.*)")
_MACOS_ARCHS = frozenset(
    {
        "ppc",
        "ppc64",
        "i386",
        "x86_64",
        "arm64",
        "intel",
        "fat",
        "fat3",
        "fat64",
        "universal",
        "universal2",
    }
)
# macOS 11 and later are macosx_<major>_0; PyPI lists the majors it knows (26 follows 15)
_MACOS_MAJORS = frozenset({"11", "12", "13", "14", "15", "26"})
_IOS = re.compile(r"ios_\d+_\d+_(?P<arch>.*)_(iphoneos|iphonesimulator)")
_IOS_ARCHS = frozenset({"arm64", "x86_64"})
_ANDROID = re.compile(r"android_\d+_(?P<arch>.*)")
_ANDROID_ARCHS = frozenset({"armeabi_v7a", "arm64_v8a", "x86", "x86_64"})
_EMSCRIPTEN = re.compile(r"pyemscripten_\d+_\d+_wasm32")


def _known_macos(major: str, minor: str) -> bool:
    return major == "10" or (major in _MACOS_MAJORS and minor == "0")


def pypi_accepts(platform: str) -> bool:
    """Whether PyPI takes a wheel with this platform tag."""
    if platform in _FIXED or _EMSCRIPTEN.match(platform):
        return True
    macos = _MACOS.match(platform)
    if macos and macos["arch"] in _MACOS_ARCHS and _known_macos(macos["major"], macos["minor"]):
        return True
    linux = _LINUX.match(platform)
    if linux:
        return linux["arch"] in _ARCHS_BY_LIBC[linux["libc"]]
    ios = _IOS.match(platform)
    if ios and ios["arch"] in _IOS_ARCHS:
        return True
    android = _ANDROID.match(platform)
    return bool(android and android["arch"] in _ANDROID_ARCHS)
