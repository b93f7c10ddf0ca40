"""Cache keys change with everything that affects a wheel, and only with that."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from manywheel.caching.manifest import Manifest
from manywheel.caching.project_digest import project_digest
from manywheel.caching.wheel_cache import WheelCache, cache_keys
from manywheel.config.model import Options


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname='x'\nversion='1'\n")
    (root / "src" / "x.c").write_text("int x;\n")
    return root


def test_digest_follows_content_not_build_leftovers(tmp_path: Path) -> None:
    root = _project(tmp_path)
    before = project_digest(root, set())
    (root / "build").mkdir()
    (root / "build" / "junk.o").write_text("stale")
    (root / "src" / "__pycache__").mkdir()
    (root / "src" / "__pycache__" / "x.pyc").write_text("cache")
    wheelhouse = root / "wheelhouse"
    wheelhouse.mkdir()
    (wheelhouse / "x.whl").write_text("out")
    assert project_digest(root, {wheelhouse}) == before
    (root / "src" / "x.c").write_text("int x = 1;\n")
    assert project_digest(root, set()) != before


def test_keys_depend_on_build_inputs() -> None:
    base = Options()
    keys = cache_keys("dir:abc", "cp312-manylinux_x86_64", "docker:img:sha256:1", base)
    assert cache_keys("dir:abd", "cp312-manylinux_x86_64", "docker:img:sha256:1", base) != keys
    assert cache_keys("dir:abc", "cp313-manylinux_x86_64", "docker:img:sha256:1", base) != keys
    assert cache_keys("dir:abc", "cp312-manylinux_x86_64", "docker:img:sha256:2", base) != keys
    changed = dataclasses.replace(base, environment=(("CFLAGS", "-O3"),))
    assert cache_keys("dir:abc", "cp312-manylinux_x86_64", "docker:img:sha256:1", changed) != keys


def test_run_options_and_test_options_leave_the_build_key_alone() -> None:
    base = Options()
    keys = cache_keys("d", "i", "b", base)
    other_run = dataclasses.replace(base, jobs=7, output_dir="elsewhere", fail_fast=True)
    assert cache_keys("d", "i", "b", other_run) == keys
    other_test = dataclasses.replace(base, test_command="pytest")
    new = cache_keys("d", "i", "b", other_test)
    assert new.build == keys.build
    assert new.test != keys.test


def test_corrupted_entry_is_never_served(tmp_path: Path) -> None:
    cache = WheelCache(tmp_path / "cache", 1 << 30)
    keys = cache_keys("d", "i", "b", Options())
    wheel = tmp_path / "x-1-cp312-cp312-manylinux_2_17_x86_64.whl"
    wheel.write_bytes(b"wheel bytes")
    cache.store(keys, wheel, tested=True, manifest=Manifest.of())
    entry = cache.lookup(keys)
    assert entry is not None
    assert entry.tested
    entry.wheel.write_bytes(b"flipped bits")
    assert cache.lookup(keys) is None
    assert cache.entries() == []


def test_prune_keeps_the_cache_under_its_size(tmp_path: Path) -> None:
    cache = WheelCache(tmp_path / "cache", 1 << 30)
    for n in range(3):
        wheel = tmp_path / f"x{n}.whl"
        wheel.write_bytes(b"x" * 100_000)
        cache.store(
            cache_keys(str(n), "i", "b", Options()), wheel, tested=False, manifest=Manifest.of()
        )
    removed, _ = cache.prune(250_000)
    assert removed == 1
    assert len(cache.entries()) == 2
