"""How many jobs run at once by default: one per core plus one (bounded by memory), and no more
than finish the run's jobs in as many rounds, so the last round is not one job alone; an
explicit --jobs is taken as given."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from manywheel.run import scheduler
from tests.fast.fakes import Call, FakeBackend, FakeExecutor, job, plan
from tests.fast.harness import run

PYTHONS = ["cp39", "cp310", "cp311", "cp312", "cp313", "cp314", "cp38"]


def most_at_once(tmp_path: Path, count: int, jobs: int) -> int:
    """The most builds that ran at the same time, in a run of ``count`` jobs."""
    lock = threading.Lock()
    running, most = 0, 0

    def build(executor: FakeExecutor, call: Call) -> int | None:
        nonlocal running, most
        if "--out-dir" not in call.argv:
            return None
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.2)  # long enough for every job allowed to start to be running
        with lock:
            running -= 1
        return None

    backend = FakeBackend(configure=lambda executor: setattr(executor, "on_run", build))
    jobs_ = [job(f"{py}-manylinux_x86_64") for py in PYTHONS[:count]]
    outcome = run(tmp_path, plan(*jobs_), backend, jobs=jobs)
    assert set(outcome.status().values()) == {"success"}
    return most


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, 1), (2, 2), (3, 3), (4, 2), (5, 3), (6, 3), (7, 3)],
)
def test_the_default_balances_the_rounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int, expected: int
) -> None:
    monkeypatch.setattr(scheduler, "default_jobs", lambda: 3)  # 2 cores, memory to spare
    assert most_at_once(tmp_path, count, jobs=0) == expected


def test_an_explicit_jobs_is_taken_as_given(tmp_path: Path) -> None:
    assert most_at_once(tmp_path, 4, jobs=3) == 3
