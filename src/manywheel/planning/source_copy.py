"""Making a fresh, disposable copy of the project (or unpacking an sdist) to build from."""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from manywheel.errors import ConfigError

# Never copied into a build: caches, virtualenvs and stale build products of the source tree.
_SKIP_NAMES = {"__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
_SKIP_TOP = {"build", "dist", "wheelhouse", ".venv", "venv"}
# A directory that says it is a cache (https://bford.info/cachedir/): cargo's target/, which
# can hold gigabytes of a local `cargo build` that a fresh build would not reuse anyway.
CACHEDIR_TAG = "CACHEDIR.TAG"


def is_skipped(root: Path, directory: Path, name: str, extra: set[Path]) -> bool:
    """Whether ``directory/name`` stays out of a build's copy of the project at ``root``."""
    path = directory / name
    return (
        name in _SKIP_NAMES
        or (directory == root and name in _SKIP_TOP)
        or path in extra
        or (path / "pyvenv.cfg").is_file()
        or (path / CACHEDIR_TAG).is_file()
    )


def _ignore_for(root: Path, extra: set[Path]) -> Callable[[str, list[str]], set[str]]:
    def ignore(directory: str, names: list[str]) -> set[str]:
        here = Path(directory)
        return {n for n in names if is_skipped(root, here, n, extra)}

    return ignore


def copy_project(src: Path, dest: Path, exclude: set[Path] | None = None) -> Path:
    """Copy a project directory, leaving out caches, venvs, build/ and the output dir."""
    target = dest / src.name
    shutil.copytree(src, target, symlinks=True, ignore=_ignore_for(src, exclude or set()))
    return target


def check_member(name: str, sdist: Path) -> None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise ConfigError(f"'{sdist}' contains the unsafe path '{name}'; refusing to unpack it.")


def check_tar_member(member: tarfile.TarInfo, sdist: Path) -> None:
    """A member, and a link's target, must stay inside the archive's directory."""
    check_member(member.name, sdist)
    if member.issym() or member.islnk():
        check_member(str(PurePosixPath(member.name).parent / member.linkname), sdist)


def unpack_sdist(sdist: Path, dest: Path) -> Path:
    """Unpack an sdist into dest and return its single top-level directory."""
    try:
        if sdist.name.endswith(".zip"):
            with zipfile.ZipFile(sdist) as zf:
                for name in zf.namelist():
                    check_member(name, sdist)
                zf.extractall(dest)
        else:
            with tarfile.open(sdist, "r:*") as tf:
                members = tf.getmembers()
                for member in members:
                    check_tar_member(member, sdist)
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(dest, members=members, filter="data")
                else:  # pragma: no cover - old Pythons without extraction filters
                    tf.extractall(dest, members=members)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
        raise ConfigError(f"'{sdist}' is not a readable sdist ({exc}).") from None
    tops = [p for p in dest.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise ConfigError(
            f"'{sdist}' should hold exactly one top-level directory, found {len(tops)}."
        )
    return tops[0]
