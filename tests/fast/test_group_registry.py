"""A group's executor on its own: kept when a job failed and --keep-container asked for it,
and a start that fails because the run was cancelled is no start error."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from manywheel.errors import Cancelled, EnvironmentProblem
from manywheel.planning.plan import group_of
from manywheel.run.group_registry import GroupRegistry
from manywheel.run.reporting import Reporter
from tests.fast.fakes import FakeBackend, FakeExecutor, job

FAILS, PASSES = job("cp39-manylinux_x86_64", image="a"), job("cp39-manylinux_i686", image="b")


def registry(
    backend: FakeBackend, *, keep_failed: bool = False, cancel: threading.Event | None = None
) -> tuple[GroupRegistry, io.StringIO]:
    """A registry of FAILS's and PASSES's groups, and what it reports."""
    stream = io.StringIO()
    groups = GroupRegistry(
        [group_of(FAILS), group_of(PASSES)],
        backend=backend,
        reporter=Reporter(stream),
        cancel_event=cancel or threading.Event(),
        keep_failed=keep_failed,
    )
    return groups, stream


def test_keep_failed_keeps_only_the_groups_with_a_failed_job(tmp_path: Path) -> None:
    backend = FakeBackend()
    groups, _ = registry(backend, keep_failed=True)
    groups.executor_for(FAILS, tmp_path / "a.log")
    groups.executor_for(PASSES, tmp_path / "b.log")
    groups.job_failed(FAILS)
    groups.close_all()
    failing, passing = backend.opened
    assert failing.events == ["start", "keep"]
    assert passing.events == ["start", "close"]
    assert groups.kept == ["kept for inspection"]


def test_without_keep_failed_a_failed_group_is_closed(tmp_path: Path) -> None:
    backend = FakeBackend()
    groups, _ = registry(backend)
    groups.executor_for(FAILS, tmp_path / "a.log")
    groups.job_failed(FAILS)
    groups.close_all()
    assert [e.events for e in backend.opened] == [["start", "close"]]
    assert groups.kept == []


def test_a_start_failing_after_cancel_is_no_start_error(tmp_path: Path) -> None:
    """Ctrl-C during an image pull makes the pull fail: that is the cancel, not a missing image."""
    cancel = threading.Event()

    def cancelled_during_start(executor: FakeExecutor) -> None:
        cancel.set()
        executor.start_error = EnvironmentProblem("pulling the image 'a' was interrupted")

    backend = FakeBackend(configure=lambda e: setattr(e, "on_start", cancelled_during_start))
    groups, stream = registry(backend, cancel=cancel)
    with pytest.raises(Cancelled):
        groups.executor_for(FAILS, tmp_path / "a.log")
    assert groups.start_errors == []
    assert groups.exit_code is None
    assert "could not start" not in stream.getvalue()


def test_once_cancelled_no_group_is_opened(tmp_path: Path) -> None:
    backend = FakeBackend()
    groups, _ = registry(backend)
    groups.cancel_event.set()
    with pytest.raises(Cancelled):
        groups.executor_for(FAILS, tmp_path / "a.log")
    assert backend.opened == []
