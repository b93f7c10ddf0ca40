"""ccache's per-compile log around the build command: which of the job's compiles were hits.

When the job's compiles go through ccache (CCACHE_DIR in the environment the build sees: the
compiler cache of caching/compiler_cache.py, or the user's own), the build command is given
``CCACHE_STATSLOG`` naming a file in the job's work dir; ccache appends one block per compiler
call to it (caching/compiler_stats.py reads it). A build that compiled nothing through ccache
(the compiler cache off, a Rust-only project, zig's compilers) leaves no file: no statistics,
not zeros. A ``CCACHE_STATSLOG`` the user set is theirs: left alone, and nothing is collected.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath

from manywheel.caching.compiler_stats import parse_stats_log
from manywheel.steps.context import JobContext

STATS_LOG = "ccache-stats.log"


def uses_ccache(ctx: JobContext) -> bool:
    """Whether the build's compiles may go through ccache, and the stats log is ours to set."""
    seen = ctx.seen_by_build()
    return "CCACHE_DIR" in seen and "CCACHE_STATSLOG" not in seen


@contextmanager
def ccache_stats_log(ctx: JobContext) -> Iterator[dict[str, str]]:
    """The variables for the build command (``CCACHE_STATSLOG``, or none); afterwards, also
    when the build failed, ctx.compiler_stats and a line in the job's log say what ccache did."""
    if not uses_ccache(ctx):
        yield {}
        return
    path = ctx.workdir / STATS_LOG
    try:
        yield {"CCACHE_STATSLOG": str(path)}
    finally:
        if not ctx.cancel_event.is_set():  # a cancelled job's executor may be going away
            _collect(ctx, path)


def _collect(ctx: JobContext, path: PurePosixPath) -> None:
    try:
        text = ctx.read_text(path)
    except OSError:  # no file: nothing was compiled through ccache
        return
    ctx.compiler_stats = parse_stats_log(text)
    ctx.note(f"[manywheel] compiler cache: {ctx.compiler_stats.describe()}")
