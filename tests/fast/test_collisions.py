"""Two different wheels under one file name in a run are an error naming both identifiers;
identical bytes are fine."""

from __future__ import annotations

from pathlib import Path

from tests.fast.fakes import FakeBackend, job, payload_of, plan
from tests.fast.harness import run


def abi3_everywhere() -> FakeBackend:
    return FakeBackend(configure=lambda e: setattr(e, "abi3_from", "cp38"))


def test_different_wheels_under_one_name_fail_the_second(tmp_path: Path) -> None:
    # two groups (own before-all), so no abi3 reuse between them, and different CFLAGS
    first = job("cp38-manylinux_x86_64", before_all="echo a", environment=(("CFLAGS", "-O1"),))
    second = job("cp39-manylinux_x86_64", before_all="echo b", environment=(("CFLAGS", "-O3"),))
    outcome = run(tmp_path, plan(first, second), abi3_everywhere(), jobs=1)
    assert outcome.status() == {
        "cp38-manylinux_x86_64": "success",
        "cp39-manylinux_x86_64": "failed",
    }
    result = outcome.results["cp39-manylinux_x86_64"]
    name = "demo-0.1.0-cp38-abi3-manylinux_2_17_x86_64.whl"
    assert result.failed_step == "deliver"
    assert result.error is not None
    assert result.error.startswith(
        f"cp39-manylinux_x86_64 built {name}, but cp38-manylinux_x86_64 already delivered a "
        "different wheel under that name in this run; the first is kept."
    )
    assert [p.name for p in outcome.wheelhouse.iterdir()] == [name]
    assert payload_of(outcome.wheelhouse / name) == "-O1"


def test_identical_wheels_under_one_name_are_fine(tmp_path: Path) -> None:
    first = job("cp38-manylinux_x86_64", before_all="echo a")
    second = job("cp39-manylinux_x86_64", before_all="echo b")
    outcome = run(tmp_path, plan(first, second), abi3_everywhere(), jobs=1)
    assert set(outcome.status().values()) == {"success"}
