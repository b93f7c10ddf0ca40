"""What runs as CC, CXX, AR and RANLIB under --toolchain zig (see zig.py, which writes the
wrapper scripts that call main()).

GCC flags that zig's clang or linker rejects are translated or dropped, and a failed compile
or link that wanted something of the host's (a header under /usr/include, a ``-lfoo``)
gets a note saying why the zig toolchain cannot use it. Standard library only: this runs
once per compiler call.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence

# GCC flags without a zig equivalent: the build means the same without them
DROPPED = (
    "-ffat-lto-objects",
    "-fno-semantic-interposition",
    "-fstack-clash-protection",
    "-specs=",
    "-flto-partition=",
    "-fuse-linker-plugin",
    "-fno-gnu-unique",
    "-mtune=",  # scheduling only; zig rejects GCC's names (generic, intel)
)
# GCC's -flto=auto|jobserver|N: LTO objects would also need zig's ar; build without LTO
_GCC_LTO = re.compile(r"^-flto=(?!thin$|full$)")
# linker options zig's lld driver rejects, and those that take the next word as their value
LINKER_DROPPED = ("-Bsymbolic-functions", "--icf", "-O")  # -O1: lld ignores it, with a warning
LINKER_DROPPED_WITH_VALUE = ("--exclude-libs", "-Map")
_MISSING_LIBRARY = re.compile(r'unable to find (?:dynamic |static )?system library "([^"]+)"')
_MISSING_HEADER = re.compile(r"fatal error: '([^']+)' file not found")
HOST_INCLUDE_DIRS = ("/usr/include", "/usr/local/include")


def translate(args: Sequence[str], target: str) -> list[str]:
    """The compiler arguments zig accepts, meaning what GCC's meant."""
    x86 = target.startswith(("x86_64-", "x86-"))
    out: list[str] = []
    skip_value = False  # a dropped linker option's value may come in the next -Wl,
    for arg in args:
        if arg.startswith("-Wl,"):
            kept, skip_value = _linker_args(arg[4:].split(","), skip_value)
            if kept:
                out.append("-Wl," + ",".join(kept))
        elif arg.startswith(DROPPED) or _GCC_LTO.match(arg):
            continue
        elif x86 and arg.startswith("-march="):
            out.append("-march=" + arg[7:].replace("-", "_"))  # zig's CPU names: x86_64_v2
        else:
            out.append(arg)
    return out


def _linker_args(parts: list[str], skip_value: bool) -> tuple[list[str], bool]:
    kept: list[str] = []
    for part in parts:
        if skip_value:
            skip_value = False
        elif part in LINKER_DROPPED_WITH_VALUE:
            skip_value = True
        elif not part.startswith(LINKER_DROPPED + LINKER_DROPPED_WITH_VALUE):
            kept.append(part)
    return kept, skip_value


_COMPILE_ONLY = ("-c", "-S", "-E", "-M", "-MM", "-fsyntax-only")


def failure_note(stderr: str, target: str, image: str = "") -> str:
    """Why a failed zig call could not use the host's libraries or headers, or, in a cross
    build, the target ``image``'s ('' if not that)."""
    glibc = target.rsplit(".", 2)[-2:]
    where = f"glibc {'.'.join(glibc)}" if len(glibc) == 2 else target
    libraries = dict.fromkeys(_MISSING_LIBRARY.findall(stderr))
    headers = dict.fromkeys(_MISSING_HEADER.findall(stderr))
    if image:
        from manywheel.toolchains.zig import ZIG_TARGETS  # only when a build has failed

        zig_arch = target.split("-", maxsplit=1)[0]
        arch = next((a for a, t in ZIG_TARGETS.items() if t.startswith(f"{zig_arch}-")), zig_arch)
        return "".join(
            _image_note(what, arch, image) + "\n"
            for what in [*(f"lib{name} (-l{name})" for name in libraries), *headers]
        )
    notes = [
        f"manywheel: --toolchain zig cannot link the host's system library -l{name}: zig links "
        f"against {where} and its own libc++ only. Build lib{name} from source as part of the "
        "project (a static, -fPIC library), or build in a manylinux container "
        "(--platform podman or docker) whose image provides it."
        for name in libraries
    ]
    for header in headers:
        found = [d for d in HOST_INCLUDE_DIRS if os.path.isfile(os.path.join(d, header))]
        if found:
            notes.append(
                f"manywheel: {header} is a header of the host ({found[0]}/{header}); "
                "--toolchain zig does not use the host's headers and libraries, which are built "
                f"for the host's glibc, not {where}. Build that library from source as part of "
                "the project, or build in a manylinux container (--platform podman or docker)."
            )
    return "".join(note + "\n" for note in notes)


def _image_note(what: str, arch: str, image: str) -> str:
    return (
        f"manywheel: {what} is not in the target image {image}: a cross build compiles "
        f"against zig's glibc and the {arch} headers and libraries copied from that image "
        "only. Provide it in the image (an image FROM it with the library's -dev package "
        f"installed, named in the manylinux-{arch}-image option; before-all runs on the build "
        "machine in a cross build), or build the library from source as part of the project."
    )


def zig_command(
    zig_cc: Sequence[str], target: str, args: Sequence[str], link_prefix: Sequence[str]
) -> list[str]:
    """``zig cc ARGS``, translated, with ``link_prefix`` last when the call links (-L given
    to a compile only would be an unused-argument warning, an error under -Werror)."""
    links = not any(arg in _COMPILE_ONLY for arg in args)
    return [*zig_cc, *translate(args, target), *(link_prefix if links else ())]


def main(
    zig: str,
    prefix: Sequence[str],
    target: str,
    args: Sequence[str],
    *,
    link_prefix: Sequence[str] = (),
    image: str = "",
) -> int:
    """Run zig PREFIX ARGS (translated for cc and c++) and, when it links, the target's
    library dirs (``link_prefix``: after the build's own); add a note to a failure's stderr."""
    if prefix[0] not in ("cc", "c++"):
        os.execv(zig, [zig, *prefix, *args])
    command = zig_command([zig, *prefix], target, args, link_prefix)
    proc = subprocess.run(command, check=False, stderr=subprocess.PIPE)
    sys.stderr.buffer.write(proc.stderr)
    if proc.returncode:
        sys.stderr.write(failure_note(proc.stderr.decode(errors="replace"), target, image))
    sys.stderr.flush()
    return proc.returncode
