"""The build command, and only it, writes ccache's per-compile log when the job compiles
through ccache; afterwards the job's result and log say what ccache did, also when the build
failed. No ccache, or a stats log the user set, means no statistics (None), never zeros."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from manywheel.run.results import JobResult
from tests.fast.fakes import Call, FakeBackend, FakeExecutor, job, plan
from tests.fast.harness import run

JOB = "cp312-manylinux_x86_64"
CACHE = {"CCACHE_DIR": "/manywheel-cache/ccache"}
# what ccache appends for two compiles (one from the cache, one compiled afresh) and the link
STATS = (
    "# src/main.c\ndirect_cache_hit\nlocal_storage_hit\n"
    "# src/helper.c\ncache_miss\ndirect_cache_miss\npreprocessed_cache_miss\n"
    "# build/temp/main.o\ncalled_for_link\n"
)


def build(
    tmp_path: Path, environ: dict[str, str], status: int = 0, **options: object
) -> tuple[FakeExecutor, str, JobResult]:
    """One job whose build command writes STATS where CCACHE_STATSLOG says, if it says, and
    exits with ``status``: the executor, the job's log, its result."""

    def compile_through_ccache(executor: FakeExecutor, call: Call) -> int | None:
        if "--out-dir" not in call.argv:
            return None
        if "CCACHE_STATSLOG" in call.env:
            executor.files[PurePosixPath(call.env["CCACHE_STATSLOG"])] = STATS.encode()
        return status or None

    def configure(executor: FakeExecutor) -> None:
        executor.on_run = compile_through_ccache

    backend = FakeBackend(environ=environ, configure=configure)
    outcome = run(tmp_path, plan(job(JOB, before_build="true", **options)), backend)
    result = outcome.results[JOB]
    assert result.log is not None
    (executor,) = backend.opened
    return executor, result.log.read_text(), result


def test_the_job_says_what_ccache_did_in_its_result_and_log(tmp_path: Path) -> None:
    _, log, result = build(tmp_path, CACHE)
    assert result.status == "success"
    stats = result.compiler_stats
    assert stats is not None
    counts = (stats.direct_hits, stats.preprocessed_hits, stats.misses, stats.uncached)
    assert counts == (1, 0, 1, 1)
    assert stats.missed == ("src/helper.c",)
    line = (
        "[manywheel] compiler cache: 1 direct hit, 0 preprocessed hits, 1 miss (src/helper.c), "
        "1 not cacheable\n"
    )
    assert line in log
    assert log.index(line) < log.index("auditwheel repair")  # said after the build


def test_only_the_build_command_is_given_the_stats_log(tmp_path: Path) -> None:
    executor, _, _ = build(tmp_path, CACHE)
    given = [c for c in executor.calls if "CCACHE_STATSLOG" in c.env]
    assert [c.argv[:2] for c in given] == [("/tools/bin/uv", "build")]  # not before-build, test
    (workdir,) = executor.workdirs
    assert given[0].env["CCACHE_STATSLOG"] == str(workdir / "ccache-stats.log")


def test_a_failed_build_still_says_what_ccache_did(tmp_path: Path) -> None:
    _, log, result = build(tmp_path, CACHE, status=1)
    assert (result.status, result.failed_step) == ("failed", "build")
    assert result.compiler_stats is not None
    assert result.compiler_stats.missed == ("src/helper.c",)
    assert "compiler cache: 1 direct hit" in log


def test_a_build_that_compiled_nothing_through_ccache_has_no_statistics(tmp_path: Path) -> None:
    backend = FakeBackend(environ=CACHE)  # its build command writes no stats log
    outcome = run(tmp_path, plan(job(JOB)), backend)
    assert outcome.status() == {JOB: "success"}
    assert outcome.results[JOB].compiler_stats is None
    log = outcome.results[JOB].log
    assert log is not None
    assert "compiler cache:" not in log.read_text()


def test_without_the_compiler_cache_no_stats_log_is_asked_for(tmp_path: Path) -> None:
    executor, _, result = build(tmp_path, {})
    assert not any("CCACHE_STATSLOG" in c.env for c in executor.calls)
    assert result.compiler_stats is None


def test_a_stats_log_the_user_set_is_theirs(tmp_path: Path) -> None:
    executor, _, result = build(
        tmp_path, CACHE, environment=(("CCACHE_STATSLOG", "/work/mine.log"),)
    )
    assert result.status == "success"
    logs = {c.env["CCACHE_STATSLOG"] for c in executor.calls if "--out-dir" in c.argv}
    assert logs == {"/work/mine.log"}
    assert result.compiler_stats is None
