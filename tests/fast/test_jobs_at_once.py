"""How many jobs run at once by default: one per core plus one (bounded by memory), and no more
than finish the run's jobs in as many rounds, so the last round is not one job alone; an
explicit --jobs is taken as given."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path, PurePosixPath

import pytest

from manywheel.caching.kept_envs import BuildEnvRoot
from manywheel.planning.build_system import BuildSystem
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


@pytest.mark.parametrize(
    ("count", "held", "expected"),
    [(4, 0, 2), (4, 2, 4), (6, 4, 6), (7, 5, 6), (12, 10, 6)],
)
def test_jobs_held_for_a_warmer_get_room_to_start(
    monkeypatch: pytest.MonkeyPatch, count: int, held: int, expected: int
) -> None:
    """A job whose build waits for another's (same compile flags) starts at once, to get
    ready meanwhile: one more at once per held job, up to twice the default."""
    monkeypatch.setattr(scheduler, "default_jobs", lambda: 3)
    assert scheduler.jobs_at_once(count, held) == expected


def test_held_jobs_start_beside_their_warmers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """4 jobs in two flag signatures on 2 cores: all four start at once, the two held ones
    getting their build environments ready while the first two build."""
    monkeypatch.setattr(scheduler, "default_jobs", lambda: 3)
    synced: set[str] = set()
    during_first_build: set[str] = set()
    lock = threading.Lock()

    def seen(executor: FakeExecutor, call: Call) -> int | None:
        if call.hook_control is not None:  # the backend's hook
            output = call.hook_control / "output.json"
            executor.files[output] = json.dumps({"return_val": []}).encode()
        if " pip install " in call.text and "/envs/" in call.text:  # a new one filled
            with lock:
                synced.add(call.text.split("/envs/")[1].split("-")[0])
        if "--out-dir" in call.argv:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and len(synced) < 4:
                time.sleep(0.01)
            with lock:
                if not during_first_build:
                    during_first_build.update(synced)
        return None

    def configure(executor: FakeExecutor) -> None:
        executor.kept_envs = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
        executor.on_run = seen

    jobs_ = [job(f"{py}-manylinux_x86_64") for py in ("cp310", "cp311", "cp312", "cp313")]
    outcome = run(
        tmp_path,
        plan(*jobs_),
        FakeBackend(configure=configure),
        jobs=0,
        share_objects=True,
        signature=lambda j: "old" if j.identifier.version < (3, 12) else "new",
        build_system=BuildSystem(("setuptools>=61",), "setuptools.build_meta"),
    )
    assert set(outcome.status().values()) == {"success"}
    assert during_first_build == {"cp310", "cp311", "cp312", "cp313"}
