"""What a finished build used, for its cache entry's manifest (manifest.py).

Compilers: each program word of CC and CXX (``ccache gcc -m32``: gcc), and cc, c++, gcc and g++
as the build's PATH resolves them; all of them, even with CC set: setuptools links with the
interpreter's LDSHARED (``gcc -shared``) unless LDSHARED is set too, and CMake or a build
script may call any of them. Each is hashed whole, like ccache's compiler_check=content.

Grafted libraries: auditwheel names each copy ``<name>-<8 hex>.<ext>`` in ``<package>.libs/``,
the hex being the start of the sha256 of the file it copied (auditwheel's repair.copylib). The
source is found again where auditwheel looks (a cross build's sysroot,
AUDITWHEEL_LD_LIBRARY_PATH, LD_LIBRARY_PATH, ld.so.conf, the trusted directories), as the
file of that name whose hash starts so. auditwheel's SBOM cannot say this: it lists only
libraries a package manager owns, and their paths only as hashes.

Files under the run's work root were made in this run from the project (its hash is in the
key). Inside a container the image ID (in the key) stands for the files of the image.
"""

from __future__ import annotations

import os
import re
import shlex
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from manywheel.caching.manifest import (
    Check,
    Manifest,
    Role,
    content_hash,
    find_library,
    find_program,
)

COMPILER_NAMES = ("cc", "c++", "gcc", "g++")
COMPILER_VARIABLES = ("CC", "CXX")
TRUSTED_LIBRARY_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64")
_GRAFTED = re.compile(r"^(?P<base>[^.]+)-(?P<hash>[0-9a-f]{8})\.(?P<ext>.+)$")
# a zig wrapper manywheel wrote, a library the build made: from manywheel's code and the project
_MADE_HERE = "made in this run's work directory (from the project and manywheel, both in the key)"
_IN_IMAGE = "inside the image (its ID is in the key)"


def record(
    wheel: Path,
    env: Mapping[str, str],
    *,
    on_host: bool,
    work_root: Path | None = None,
    library_dirs: Sequence[str] = (),
) -> Manifest:
    """The manifest of a build that used ``env`` (its PATH as the build saw it) and made
    ``wheel``; ``on_host``: a native build, whose files are looked at again on a hit."""
    try:
        if not on_host:
            return Manifest.of(_in_image(wheel))
        dirs = env.get("PATH", "").split(":")
        path = [d for d in dict.fromkeys(dirs) if d and not _under(d, work_root)]
        return Manifest.of(
            [*compilers(env, path, work_root), *grafted(wheel, env, work_root, library_dirs)]
        )
    except (OSError, zipfile.BadZipFile) as exc:  # never fails the job: the entry is never served
        why = f"what its build used could not be recorded ({exc})"
        return Manifest.of([Check("library", wheel.name, how="never", why=why)])


def _under(path: str, root: Path | None) -> bool:
    if root is None:
        return False
    base = os.path.realpath(root)
    return os.path.realpath(path).startswith(base + os.sep)


def _programs(command: str) -> list[str]:
    """The programs a compiler variable runs: its words before the first flag, but ccache."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    programs = []
    for word in words:
        if word.startswith("-"):
            break
        if os.path.basename(word) != "ccache":
            programs.append(word)
    return programs


def compilers(env: Mapping[str, str], path: Sequence[str], work_root: Path | None) -> list[Check]:
    names = [word for var in COMPILER_VARIABLES for word in _programs(env.get(var, ""))]
    checks = []
    for name in dict.fromkeys([*names, *COMPILER_NAMES]):
        if "/" in name and _under(name, work_root):
            checks.append(Check("compiler", name, how="key", why=_MADE_HERE))
        elif "/" in name and not os.path.isabs(name):
            checks.append(Check("compiler", name, how="never", why="a relative path"))
        else:
            search = () if "/" in name else tuple(path)
            found = find_program(name, search)
            checks.append(_hashed("compiler", name, found, search))
    return checks


def _hashed(role: Role, name: str, found: str, search: tuple[str, ...]) -> Check:
    digest = content_hash(found) if found else ""
    if found and not digest:
        return Check(role, name, found, how="never", why="it could not be read")
    return Check(role, name, found, digest, search)


def grafted_files(wheel: Path) -> list[str]:
    """The files auditwheel grafted: those in a ``<package>.libs/`` directory (top-level in
    current auditwheel releases, ``<package>/.libs/`` in old ones)."""
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    parts = [name.split("/") for name in names if not name.endswith("/")]
    return sorted(p[-1] for p in parts if len(p) > 1 and p[-2].endswith(".libs"))


def library_dirs_of(env: Mapping[str, str], extra: Sequence[str] = ()) -> list[str]:
    """Where auditwheel looks for a library, as the build environment ``env`` sets it."""
    from auditwheel.lddtree import parse_ld_so_conf

    dirs = list(extra)
    for variable in ("AUDITWHEEL_LD_LIBRARY_PATH", "LD_LIBRARY_PATH"):
        dirs += [d for d in env.get(variable, "").split(":") if d.startswith("/")]
    dirs += [*parse_ld_so_conf("/etc/ld.so.conf"), *TRUSTED_LIBRARY_DIRS]
    return list(dict.fromkeys(os.path.normpath(d) for d in dirs))


def grafted(
    wheel: Path, env: Mapping[str, str], work_root: Path | None, extra_dirs: Sequence[str] = ()
) -> list[Check]:
    dirs = library_dirs_of(env, extra_dirs)
    checks = []
    for file in grafted_files(wheel):
        match = _GRAFTED.match(file)
        if match is None:
            why = "its name carries no auditwheel hash, so where it came from is unknown"
            checks.append(Check("library", file, how="never", why=why))
            continue
        name = f"{match['base']}.{match['ext']}"
        found = _source(name, match["hash"], dirs) or _source_under(name, match["hash"], work_root)
        if not found:
            why = (
                "no file of that name with its content was found where auditwheel looks "
                "(LD_LIBRARY_PATH, AUDITWHEEL_LD_LIBRARY_PATH, ld.so.conf, /usr/lib)"
            )
            checks.append(Check("library", name, how="never", why=why))
        elif _under(found, work_root):
            checks.append(Check("library", name, found, how="key", why=_MADE_HERE))
        else:
            # looked up by name again on a hit only if auditwheel's search found it first
            search = tuple(dirs) if find_library(name, dirs) == found else ()
            checks.append(_hashed("library", name, found, search))
    return checks


def _source(name: str, prefix: str, dirs: Sequence[str]) -> str:
    for directory in dirs:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and content_hash(candidate).startswith(prefix):
            return candidate
    return ""


def _source_under(name: str, prefix: str, root: Path | None) -> str:
    """A library the build made (an RPATH into its build tree), under the run's work root."""
    if root is None:
        return ""
    for directory, _, files in os.walk(root):
        if name in files:
            candidate = os.path.join(directory, name)
            if content_hash(candidate).startswith(prefix):
                return candidate
    return ""


def _in_image(wheel: Path) -> list[Check]:
    return [Check("library", file, how="key", why=_IN_IMAGE) for file in grafted_files(wheel)]
