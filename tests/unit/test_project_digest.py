"""The project's hash sees what a build reads: through symlinks, and the git state that names
the version (setuptools-scm) also in a worktree, whose ``.git`` is a file."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from manywheel.caching import code_digest
from manywheel.caching.code_digest import package_digest
from manywheel.caching.project_digest import project_digest
from manywheel.planning.source_copy import copy_project


def _project(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname='x'\ndynamic=['version']\n")
    (root / "src" / "x.c").write_text("int x;\n")
    return root


def _main_repo(root: Path) -> Path:
    """A repository's .git as git lays it out (no objects: the hash never reads them)."""
    git = root / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "refs" / "tags").mkdir()
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text("a" * 40 + "\n")
    return git


def _worktree(main: Path, where: Path) -> Path:
    """``git worktree add``: .git is a file naming <main>/.git/worktrees/<name>, which holds
    the worktree's own HEAD and ``commondir`` (the shared branches and tags)."""
    admin = main / ".git" / "worktrees" / where.name
    admin.mkdir(parents=True)
    (admin / "HEAD").write_text("b" * 40 + "\n")
    (admin / "commondir").write_text("../..\n")
    _project(where)
    (where / ".git").write_text(f"gitdir: {admin}\n")
    return admin


def test_a_worktree_hashes_its_head_and_the_tags(tmp_path: Path) -> None:
    main = _project(tmp_path / "main")
    git = _main_repo(main)
    admin = _worktree(main, tmp_path / "wt")
    worktree = tmp_path / "wt"
    before = project_digest(worktree, set())
    (admin / "HEAD").write_text("c" * 40 + "\n")  # a commit in the worktree
    after_commit = project_digest(worktree, set())
    assert after_commit != before
    (git / "refs" / "tags" / "v1.0").write_text("c" * 40 + "\n")  # a tag: the version
    after_tag = project_digest(worktree, set())
    assert after_tag != after_commit
    (git / "packed-refs").write_text(f"{'d' * 40} refs/tags/v2.0\n")
    assert project_digest(worktree, set()) != after_tag


def test_a_project_in_a_subdirectory_hashes_the_repository_head(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    git = _main_repo(repo)
    project = _project(repo / "python")
    before = project_digest(project, set())
    (git / "refs" / "tags" / "v1.0").write_text("a" * 40 + "\n")
    assert project_digest(project, set()) != before


def test_a_symlinked_directory_is_hashed_through(tmp_path: Path) -> None:
    project = _project(tmp_path / "proj")
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "common.h").write_text("#define A 1\n")
    (project / "include").symlink_to(shared)
    (project / "loop").symlink_to(project)  # followed once, not forever
    before = project_digest(project, set())
    (shared / "common.h").write_text("#define A 2\n")
    assert project_digest(project, set()) != before


def test_a_symlinked_file_is_hashed_through(tmp_path: Path) -> None:
    project = _project(tmp_path / "proj")
    outside = tmp_path / "version.txt"
    outside.write_text("1\n")
    (project / "VERSION").symlink_to(outside)
    before = project_digest(project, set())
    outside.write_text("2\n")
    assert project_digest(project, set()) != before


def test_package_digest_follows_content_not_bytecode(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "__pycache__").mkdir(parents=True)
    (package / "a.py").write_text("A = 1\n")
    (package / "table.json").write_text("{}\n")
    before = package_digest(package)
    (package / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert package_digest(package) == before
    (package / "a.py").write_text("A = 2\n")
    assert package_digest(package) != before


def test_a_cache_directory_is_neither_hashed_nor_copied(tmp_path: Path) -> None:
    """cargo's target/ (tagged CACHEDIR.TAG) of a local `cargo build`: gigabytes a build does
    not read; src/ beside it still counts."""
    project = _project(tmp_path / "project")
    before = project_digest(project, set())
    target = project / "target"
    (target / "release").mkdir(parents=True)
    (target / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    (target / "release" / "libx.so").write_bytes(b"\0" * 64)
    assert project_digest(project, set()) == before
    copy = copy_project(project, tmp_path / "copy")
    assert (copy / "src" / "x.c").is_file()
    assert not (copy / "target").exists()


def test_package_digest_leaves_out_nested_bytecode_and_keeps_data_files(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub" / "__pycache__").mkdir(parents=True)
    (package / "sub" / "b.py").write_text("B = 1\n")
    before = package_digest(package)
    (package / "sub" / "__pycache__" / "b.cpython-312.pyc").write_bytes(b"\0")
    (package / "sub" / "stray.pyc").write_bytes(b"\0")
    assert package_digest(package) == before
    (package / "sub" / "data.txt").write_text("x\n")
    assert package_digest(package) != before


def test_manywheel_digest_is_computed_once_when_jobs_ask_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []

    def slow(root: Path) -> str:
        calls.append(root)
        time.sleep(0.05)  # long enough for the other threads to ask meanwhile
        return "digest"

    code_digest._manywheel_digest.cache_clear()
    monkeypatch.setattr(code_digest, "package_digest", slow)
    try:
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: code_digest.manywheel_digest(), range(4)))
    finally:
        code_digest._manywheel_digest.cache_clear()
    assert answers == ["digest"] * 4
    assert len(calls) == 1
