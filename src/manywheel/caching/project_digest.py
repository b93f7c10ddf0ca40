"""The project's part of a cache key: a hash of what a build of it can read.

The files a build sees (the same rules as the source copy, planning/source_copy.py), with their
executable bits; a symlink's target text, and what it points to: a file's content, a
directory's files (a build reads through the link, so a directory linked from outside the
project is part of it; a link back into an ancestor is followed once). And what of git decides
a version (setuptools-scm): HEAD, the branches and the tags, found the way git finds them, also
from a subdirectory of the repository and in a worktree, where ``.git`` is a file naming the
real git directory.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from manywheel.files import sha256_file
from manywheel.planning.source_copy import is_skipped


def project_digest(path: Path, exclude: set[Path]) -> str:
    """sha256 over the files a build would see, and the git state that names its version."""
    if path.is_file():
        return "sdist:" + sha256_file(path)
    hasher = hashlib.sha256()
    for rel, text in _tree(path, path, "", exclude, frozenset({os.path.realpath(path)})):
        hasher.update(f"{rel}\0{text}\0".encode())
    for rel, data in git_state(path):
        hasher.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return "dir:" + hasher.hexdigest()


def _tree(
    root: Path, directory: Path, shown: str, exclude: set[Path], ancestors: frozenset[str]
) -> Iterator[tuple[str, str]]:
    """(path as the build sees it, what it holds) for everything under ``directory``."""
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:  # unreadable: the source copy fails on it too; the hash says so
        yield shown, f"unreadable:{exc.errno}"
        return
    for name in names:
        if name == ".git" or is_skipped(root, directory, name, exclude):
            continue
        path = directory / name
        rel = f"{shown}/{name}" if shown else name
        if path.is_symlink():
            yield rel, "link:" + os.readlink(path)
        if path.is_dir():  # a directory, or a link to one: its files, as the build reads them
            real = os.path.realpath(path)
            if real in ancestors:
                yield rel, "loop"
                continue
            yield from _tree(root, path, rel, exclude, ancestors | {real})
        elif path.is_file():
            yield rel, f"{os.stat(path).st_mode & 0o111}:{sha256_file(path)}"


def git_dir(path: Path) -> Path | None:
    """The git directory of the repository ``path`` is in (git's own search: ``.git`` in it or
    an ancestor; a directory, or a file ``gitdir: <dir>`` in a worktree or submodule)."""
    for candidate in (path, *path.parents):
        dot_git = candidate / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():
            try:
                line = dot_git.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                return None
            if not line.startswith("gitdir:"):
                return None
            target = Path(line.removeprefix("gitdir:").strip())
            return target if target.is_absolute() else (candidate / target).resolve()
    return None


def _common_dir(git: Path) -> Path:
    """Where a worktree's branches and tags are: its ``commondir`` (the main .git)."""
    try:
        common = (git / "commondir").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return git
    return (git / common).resolve()


def git_state(path: Path) -> Iterator[tuple[str, bytes]]:
    """HEAD (the worktree's own), packed-refs and refs/ (branches, tags), not objects: what
    ``git describe`` reads to name a version."""
    git = git_dir(path)
    if git is None:
        return
    if (git / "HEAD").is_file():
        yield "git/HEAD", (git / "HEAD").read_bytes()
    common = _common_dir(git)
    if (common / "packed-refs").is_file():
        yield "git/packed-refs", (common / "packed-refs").read_bytes()
    refs = common / "refs"
    if refs.is_dir():
        for ref in sorted(refs.rglob("*")):
            if ref.is_file():
                yield f"git/{ref.relative_to(common).as_posix()}", ref.read_bytes()
