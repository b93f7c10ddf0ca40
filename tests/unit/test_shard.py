"""Sharding: every identifier in exactly one shard, balanced by weight, deterministic."""

from __future__ import annotations

import pytest

from manywheel.config.identifiers import Identifier
from manywheel.config.model import Options
from manywheel.errors import ConfigError
from manywheel.planning.plan import Job
from manywheel.planning.shard import EMULATED_WEIGHT, parse_shard, shard_jobs


def jobs(archs: tuple[str, ...]) -> list[Job]:
    return [
        Job(Identifier((3, m), False, "manylinux", a), "py", f"3.{m}.0", "img", Options(), True)
        for a in archs
        for m in range(9, 15)
    ]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 7])
def test_union_is_the_plan_without_duplicates(count: int) -> None:
    plan = jobs(("x86_64", "i686", "aarch64"))
    shards = [shard_jobs(plan, i, count, "x86_64") for i in range(1, count + 1)]
    names = [j.name for shard in shards for j in shard]
    assert sorted(names) == sorted(j.name for j in plan)
    assert len(names) == len(set(names))


def test_emulated_jobs_weigh_more_and_shards_balance() -> None:
    plan = jobs(("x86_64", "aarch64"))  # 6 native (1 each) + 6 emulated (5 each) = 36
    loads = []
    for i in range(1, 4):
        shard = shard_jobs(plan, i, 3, "x86_64")
        loads.append(sum(EMULATED_WEIGHT if j.identifier.arch == "aarch64" else 1 for j in shard))
    assert max(loads) - min(loads) <= 1
    assert shard_jobs(plan, 2, 3, "x86_64") == shard_jobs(list(plan), 2, 3, "x86_64")


@pytest.mark.parametrize("bad", ["0/3", "4/3", "x", "1/0", "2-3"])
def test_bad_shard_specs(bad: str) -> None:
    with pytest.raises(ConfigError, match="is not a shard; write I/N"):
        parse_shard(bad)
