"""--fail-fast, Ctrl-C during the run and during cleanup, and executors that fail to close."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from manywheel.errors import CleanupFailed
from tests.fast.fakes import Call, FakeBackend, FakeExecutor, job, plan
from tests.fast.harness import make_scheduler, run


@pytest.fixture
def sigint_raises() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt here, even when the suite was started with SIGINT
    ignored (in the background from a script, or under nohup)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_fail_fast_cancels_queued_jobs_before_they_touch_anything(tmp_path: Path) -> None:
    backend = FakeBackend(configure=lambda e: setattr(e, "fail_when", {"uv build": 1}))
    jobs = [job(f"cp3{m}-manylinux_x86_64") for m in (8, 9, 10, 11, 12, 13)]
    outcome = run(tmp_path, plan(*jobs), backend, jobs=1, fail_fast=True)
    statuses = list(outcome.status().values())
    assert statuses[0] == "failed"
    assert statuses[1:] == ["cancelled"] * 5
    (executor,) = backend.opened
    assert len(executor.workdirs) == 1
    assert executor.events.count("prepare_source") == 1
    assert "cancel" in executor.events
    assert executor.events[-1] == "close"


def test_without_fail_fast_a_failed_job_stops_nothing(tmp_path: Path) -> None:
    backend = FakeBackend(configure=lambda e: setattr(e, "fail_when", {"cp39-manylinux": 1}))
    jobs = [job(f"cp3{m}-manylinux_x86_64") for m in (9, 10, 11)]
    outcome = run(tmp_path, plan(*jobs), backend, jobs=1)  # the failure comes first
    assert outcome.status() == {
        "cp39-manylinux_x86_64": "failed",
        "cp310-manylinux_x86_64": "success",
        "cp311-manylinux_x86_64": "success",
    }
    (executor,) = backend.opened
    assert "cancel" not in executor.events


def test_fail_fast_reaches_a_group_that_is_starting(tmp_path: Path) -> None:
    """cancel() reaches a group's start (copy-in, image pull) while it runs."""
    started = threading.Event()

    def configure(executor: FakeExecutor) -> None:
        if executor.group.image == "slow":

            def wait_for_cancel(e: FakeExecutor) -> None:
                started.set()
                assert e.cancelled.wait(10), "cancel never reached the starting group"

            executor.on_start = wait_for_cancel
        else:

            def fail_once_slow_started(e: FakeExecutor, call: Call) -> int | None:
                return 1 if started.wait(10) and "uv build" in call.text else None

            executor.on_run = fail_once_slow_started

    backend = FakeBackend(configure=configure)
    jobs = [job("cp39-manylinux_x86_64", image="slow"), job("cp39-manylinux_i686", image="fast")]
    outcome = run(tmp_path, plan(*jobs), backend, jobs=2, fail_fast=True)
    assert outcome.status() == {
        "cp39-manylinux_x86_64": "cancelled",
        "cp39-manylinux_i686": "failed",
    }
    assert all(e.events[-1] == "close" for e in backend.opened)


def test_one_failing_close_does_not_keep_the_others_open(tmp_path: Path) -> None:
    def configure(executor: FakeExecutor) -> None:
        if executor.group.image == "a":
            executor.close_error = subprocess.TimeoutExpired(["podman", "rm"], 120)
        elif executor.group.image == "b":
            executor.close_error = CleanupFailed("could not remove the container x; remove it")

    backend = FakeBackend(configure=configure)
    jobs = [job("cp39-manylinux_x86_64", image=i) for i in ("a", "b", "c")]
    outcome = run(tmp_path, plan(*jobs), backend, jobs=1)
    assert [e.events.count("close") for e in backend.opened] == [1, 1, 1]
    errors = outcome.scheduler.cleanup_errors
    assert len(errors) == 2
    assert "TimeoutExpired" in errors[0]
    assert errors[1] == "could not remove the container x; remove it"
    assert set(outcome.status().values()) == {"success"}


@pytest.mark.usefixtures("sigint_raises")
def test_second_ctrl_c_during_cleanup_still_closes_everything(tmp_path: Path) -> None:
    """Ctrl-C while jobs run, and again while the first container is being removed."""
    both_building = threading.Barrier(2, timeout=10)

    def interrupt_build(executor: FakeExecutor, call: Call) -> int | None:
        if "uv build" not in call.text:
            return None
        both_building.wait()
        if executor.group.image == "a":
            os.kill(os.getpid(), signal.SIGINT)  # as the terminal does
        assert executor.cancelled.wait(10)
        return -2

    def interrupt_close(executor: FakeExecutor) -> None:
        if executor.group.image == "a":
            os.kill(os.getpid(), signal.SIGINT)  # the second Ctrl-C

    def configure(executor: FakeExecutor) -> None:
        executor.on_run = interrupt_build
        executor.on_close = interrupt_close

    backend = FakeBackend(configure=configure)
    jobs = [job("cp39-manylinux_x86_64", image=i) for i in ("a", "b")]
    scheduler = make_scheduler(tmp_path, plan(*jobs), backend, jobs=2)
    with pytest.raises(KeyboardInterrupt):
        scheduler.run()
    assert len(backend.opened) == 2
    for executor in backend.opened:
        assert "cancel" in executor.events
        assert executor.events[-1] == "close"


@pytest.mark.usefixtures("sigint_raises")
def test_ctrl_c_during_cleanup_after_success_is_raised_after_it(tmp_path: Path) -> None:
    def configure(executor: FakeExecutor) -> None:
        executor.on_close = lambda e: os.kill(os.getpid(), signal.SIGINT)

    backend = FakeBackend(configure=configure)
    jobs = [job("cp39-manylinux_x86_64", image=i) for i in ("a", "b")]
    scheduler = make_scheduler(tmp_path, plan(*jobs), backend)
    with pytest.raises(KeyboardInterrupt):
        scheduler.run()
    assert [e.events.count("close") for e in backend.opened] == [1, 1]
