"""What the compiler cache did for one job's build: hits, misses and uncacheable calls.

ccache writes one block per compiler call to the file named by ``CCACHE_STATSLOG``: a line
``# <source file as given>`` and then the ids of the counters that call raised
(``direct_cache_hit``, ``cache_miss``, ``local_storage_read_miss``...). Each block is one call,
counted once here by its outcome; the storage counters beside it say nothing more for a job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# the outcome counters of a cacheable compile, first match wins (ccache raises one of them)
DIRECT_HIT = "direct_cache_hit"
PREPROCESSED_HIT = "preprocessed_cache_hit"
MISS = "cache_miss"

SHOWN_MISSED = 3  # missed files named in the job log's line, then "and N more"


@dataclass(frozen=True)
class CompilerStats:
    """One job's compiler calls through ccache, by outcome. ``uncached``: calls ccache could
    not cache (links, preprocessing only, a failed compile, an unsupported option...)."""

    direct_hits: int = 0
    preprocessed_hits: int = 0
    misses: int = 0
    uncached: int = 0
    missed: tuple[str, ...] = ()  # the source files compiled afresh, as the build named them

    @property
    def hits(self) -> int:
        return self.direct_hits + self.preprocessed_hits

    @property
    def cacheable(self) -> int:
        return self.hits + self.misses

    def as_json(self) -> dict[str, Any]:
        return {
            "direct_hits": self.direct_hits,
            "preprocessed_hits": self.preprocessed_hits,
            "misses": self.misses,
            "uncached": self.uncached,
            "missed": list(self.missed),
        }

    def describe(self) -> str:
        """``11 direct hits, 0 preprocessed hits, 1 miss (src/decode.c), 2 not cacheable``"""
        misses = _count(self.misses, "miss", "misses")
        if self.missed:
            named = ", ".join(self.missed[:SHOWN_MISSED])
            more = len(self.missed) - SHOWN_MISSED
            misses += f" ({named} and {more} more)" if more > 0 else f" ({named})"
        return (
            f"{_count(self.direct_hits, 'direct hit', 'direct hits')}, "
            f"{_count(self.preprocessed_hits, 'preprocessed hit', 'preprocessed hits')}, "
            f"{misses}, {self.uncached} not cacheable"
        )

    def hit_ratio(self) -> str:
        """``11/12 hits`` (of the cacheable compiles), or ``-`` when nothing was cacheable."""
        return f"{self.hits}/{self.cacheable} hits" if self.cacheable else "-"


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def parse_stats_log(text: str) -> CompilerStats:
    """The statistics of one ``CCACHE_STATSLOG`` file's text (lines before any ``#`` block,
    which ccache never writes, are ignored)."""
    counts = {DIRECT_HIT: 0, PREPROCESSED_HIT: 0, MISS: 0}
    uncached = 0
    missed: list[str] = []
    for source, ids in _blocks(text):
        outcome = next((name for name in counts if name in ids), None)
        if outcome is None:
            uncached += 1
            continue
        counts[outcome] += 1
        if outcome == MISS:
            missed.append(source)
    return CompilerStats(
        direct_hits=counts[DIRECT_HIT],
        preprocessed_hits=counts[PREPROCESSED_HIT],
        misses=counts[MISS],
        uncached=uncached,
        missed=tuple(missed),
    )


def _blocks(text: str) -> list[tuple[str, set[str]]]:
    """(source file, counter ids) for each ``# file`` block, in order."""
    blocks: list[tuple[str, set[str]]] = []
    for line in text.splitlines():
        if line.startswith("#"):
            blocks.append((line[1:].removeprefix(" "), set()))
        elif blocks and line.strip():
            blocks[-1][1].add(line.strip())
    return blocks
