"""What meson needs to be told to build for another arch: a cross file naming the zig wrappers
(zig.py) and the target machine (without one, meson refuses a compiler whose programs do not
run here). setuptools and CMake need none: they take CC/CXX/LDSHARED from the environment and
SOABI, EXT_SUFFIX and the headers from the build interpreter, which is told about the target
(target.py). CMake is deliberately not put in cross mode (CMAKE_SYSTEM_NAME): then FindPython
would not ask the interpreter for SOABI, and ``WITH_SOABI`` modules would be named ``x.so``
(measured with CMake 3.25)."""

from __future__ import annotations

from collections.abc import Mapping

# meson's cpu_family and endianness, per manylinux arch
MESON_CPU = {
    "x86_64": ("x86_64", "little"),
    "i686": ("x86", "little"),
    "aarch64": ("aarch64", "little"),
    "ppc64le": ("ppc64", "little"),
    "s390x": ("s390x", "big"),
    "armv7l": ("arm", "little"),
    "riscv64": ("riscv64", "little"),
}


def meson_cross_file(env: Mapping[str, str], arch: str) -> str:
    family, endian = MESON_CPU[arch]
    return (
        "# manywheel: zig for the target (toolchains/crossfiles.py)\n"
        "[binaries]\n"
        f"c = {env['CC']!r}\n"
        f"cpp = {env['CXX']!r}\n"
        f"ar = {env['AR']!r}\n"
        f"ranlib = {env['RANLIB']!r}\n"
        "[properties]\n"
        "needs_exe_wrapper = true\n"
        "[host_machine]\n"
        "system = 'linux'\n"
        f"cpu_family = {family!r}\n"
        f"cpu = {arch!r}\n"
        f"endian = {endian!r}\n"
    )
