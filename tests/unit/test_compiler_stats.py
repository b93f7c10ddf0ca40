"""ccache's stats log (CCACHE_STATSLOG) read into one job's compiler statistics: each block is
one compiler call, counted once by its outcome. The logs are ccache 4.14's and 4.7's own output
(both write the same), captured on the test machine."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
from rich.console import Console

from manywheel.caching.compiler_stats import CompilerStats, parse_stats_log
from manywheel.run.reporting import print_summary, report_document
from manywheel.run.results import JobResult

SCHEMA = Path(__file__).resolve().parents[2] / "src" / "manywheel" / "schemas" / "report-v1.json"

# `ccache gcc -c a.c` on an empty cache, then again, then with -DUNUSED=1 (direct mode misses:
# the arguments differ; the preprocessed output is the same)
COLD_WARM_PREPROCESSED = """\
# a.c
cache_miss
direct_cache_miss
local_storage_miss
local_storage_read_miss
local_storage_read_miss
local_storage_write
local_storage_write
preprocessed_cache_miss
# a.c
direct_cache_hit
local_storage_hit
local_storage_read_hit
local_storage_read_hit
# a.c
direct_cache_miss
local_storage_hit
local_storage_read_hit
local_storage_read_miss
local_storage_write
preprocessed_cache_hit
"""

# calls ccache cannot cache: a link, -E, --version, an unsupported option (-MM), a compile
# whose source does not exist, an output path whose directory does not exist
UNCACHEABLE = """\
# a.o
called_for_link
# a.c
called_for_preprocessing
# {empty}
no_input_file
# a.c
unsupported_compiler_option
# nonexist.c
direct_cache_miss
local_storage_read_miss
preprocessor_error
# a.c
bad_output_file
""".format(empty="")  # ccache writes "# " and no name: no trailing blank in this file


def test_each_block_counts_once_by_its_outcome() -> None:
    assert parse_stats_log(COLD_WARM_PREPROCESSED) == CompilerStats(
        direct_hits=1, preprocessed_hits=1, misses=1, uncached=0, missed=("a.c",)
    )


def test_calls_ccache_cannot_cache_are_counted_apart() -> None:
    stats = parse_stats_log(COLD_WARM_PREPROCESSED + UNCACHEABLE)
    assert (stats.hits, stats.misses, stats.uncached) == (2, 1, 6)
    assert stats.missed == ("a.c",)  # the one that failed to preprocess was no miss


def test_missed_files_are_named_as_the_build_gave_them() -> None:
    text = "".join(
        f"# {path}\ncache_miss\ndirect_cache_miss\npreprocessed_cache_miss\n"
        for path in ("src/decode.c", "src/encode.c", "/abs/build/gen.c")
    )
    assert parse_stats_log(text).missed == ("src/decode.c", "src/encode.c", "/abs/build/gen.c")


def test_older_ccache_logs_only_the_outcome() -> None:
    # ccache 4.0-4.2 wrote one id per call (its own test suite's expected stats.log)
    assert parse_stats_log("# test.c\ncache_miss\n# test.c\ndirect_cache_hit\n") == CompilerStats(
        direct_hits=1, misses=1, missed=("test.c",)
    )


def test_an_empty_log_is_all_zero() -> None:
    assert parse_stats_log("") == CompilerStats()


def test_the_job_log_line_names_a_few_missed_files() -> None:
    stats = CompilerStats(11, 0, 1, 2, ("src/decode.c",))
    assert stats.describe() == (
        "11 direct hits, 0 preprocessed hits, 1 miss (src/decode.c), 2 not cacheable"
    )
    many = CompilerStats(1, 1, 5, 0, tuple(f"src/m{i}.c" for i in range(5)))
    assert many.describe() == (
        "1 direct hit, 1 preprocessed hit, "
        "5 misses (src/m0.c, src/m1.c, src/m2.c and 2 more), 0 not cacheable"
    )


def test_the_report_and_summary_forms() -> None:
    stats = CompilerStats(11, 0, 1, 2, ("src/decode.c",))
    assert stats.as_json() == {
        "direct_hits": 11,
        "preprocessed_hits": 0,
        "misses": 1,
        "uncached": 2,
        "missed": ["src/decode.c"],
    }
    assert stats.hit_ratio() == "11/12 hits"
    assert CompilerStats(uncached=3).hit_ratio() == "-"


def _results() -> list[JobResult]:
    stats = CompilerStats(11, 0, 1, 2, ("src/decode.c",))
    return [
        JobResult("cp311-manylinux_x86_64", status="success", compiler_stats=stats),
        JobResult("cp312-manylinux_x86_64", status="success", cached=True),  # compiled nothing
    ]


def test_the_report_has_each_jobs_statistics_or_null_and_validates() -> None:
    document = report_document(_results(), "native")
    jsonschema.validate(document, json.loads(SCHEMA.read_text(encoding="utf-8")))
    compiler_cache = [job["compiler_cache"] for job in document["jobs"]]
    assert compiler_cache == [
        {
            "direct_hits": 11,
            "preprocessed_hits": 0,
            "misses": 1,
            "uncached": 2,
            "missed": ["src/decode.c"],
        },
        None,
    ]


def _summary(results: list[JobResult]) -> str:
    out = io.StringIO()
    print_summary(Console(file=out, width=200), results)
    return out.getvalue()


def test_the_summary_shows_hits_of_the_cacheable_compiles() -> None:
    rows = {line.split()[1]: line for line in _summary(_results()).splitlines() if "cp3" in line}
    assert "ccache" in _summary(_results())
    assert "11/12 hits" in rows["cp311-manylinux_x86_64"]
    assert "hits" not in rows["cp312-manylinux_x86_64"]


def test_a_run_that_compiled_nothing_through_ccache_has_no_column() -> None:
    results = [JobResult("cp311-manylinux_x86_64", status="success", cached=True)]
    assert "ccache" not in _summary(results)
