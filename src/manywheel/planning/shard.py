"""Splitting a plan into N balanced shards, so N CI runners build each identifier once."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from manywheel.errors import ConfigError
from manywheel.planning.plan import Job

EMULATED_WEIGHT = 5  # a job under QEMU costs about this many native ones
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
T = TypeVar("T")


def parse_shard(text: str, source: str = "--shard") -> tuple[int, int]:
    match = _SPEC.match(text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ConfigError(
            f"{source}: {text!r} is not a shard; write I/N with 1 <= I <= N, "
            "e.g. 2/4 for the second of four parts."
        )
    return int(match[1]), int(match[2])


def split(items: Sequence[T], count: int, weight: dict[int, int], key: list[str]) -> list[list[T]]:
    """Greedy longest-first packing into ``count`` bins; stable on ``key`` for ties."""
    order = sorted(range(len(items)), key=lambda i: (-weight[i], key[i]))
    loads = [0] * count
    bins: list[list[int]] = [[] for _ in range(count)]
    for i in order:
        target = min(range(count), key=lambda b: (loads[b], b))
        bins[target].append(i)
        loads[target] += weight[i]
    return [[items[i] for i in sorted(b)] for b in bins]


def shard_jobs(jobs: Sequence[Job], index: int, count: int, host: str) -> list[Job]:
    """The jobs of shard ``index`` (1-based) of ``count``."""
    weight = {
        i: EMULATED_WEIGHT if job.identifier.arch not in (host, "i686") else 1
        for i, job in enumerate(jobs)
    }
    return split(jobs, count, weight, [job.name for job in jobs])[index - 1]
