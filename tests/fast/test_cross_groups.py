"""A cross build's group (backends/cross_backend.py): the build and repair run on the build side with
a host interpreter and the cross variables on the build command only; the repaired wheel
moves to the test side, where the test runs with the target's interpreter."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from manywheel.backends.background_start import BackgroundStart
from manywheel.backends.base import GroupExecutor, SplitExecutor
from manywheel.backends.cross_backend import CrossExecutor, TargetFactsSource
from manywheel.backends.engine import Engine
from manywheel.errors import CleanupFailed, EnvironmentProblem
from manywheel.planning.plan import GroupSpec, Job
from manywheel.toolchains.target import TargetFacts
from tests.fast.fakes import FakeBackend, FakeExecutor, job, plan
from tests.fast.harness import run


@dataclass
class FakeCross(FakeExecutor):
    """The build side (a FakeExecutor) holding a test side, started in the background as
    CrossExecutor does."""

    test_side: GroupExecutor | None = None
    facts_asked: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._started = BackgroundStart(self.test_side) if self.test_side else None

    def started_tester(self) -> GroupExecutor | None:
        return self._started.ready() if self._started is not None else None

    def build_job(self, job: Job) -> Job:
        return dataclasses.replace(job, python="/host/python3.11")

    def target_facts(self, job: Job) -> TargetFacts:
        self.facts_asked.append(job.python)
        return TargetFacts(Path("/facts"), "_sysconfigdata_x", ".cpython-311-aarch64.so", "3.11")

    def no_test_reason(self) -> str:
        return "no image to run aarch64 in"

    # both sides' lifecycle, as CrossExecutor's
    def start(self) -> None:
        super().start()
        if self._started is not None:
            self._started.start()

    def close(self) -> None:
        super().close()
        if self._started is not None:
            self._started.close()


@dataclass
class CrossFakes(FakeBackend):
    with_tester: bool = True
    testers: list[FakeExecutor] = field(default_factory=list)

    def open(self, group: GroupSpec) -> FakeExecutor:
        tester = FakeExecutor(group) if self.with_tester else None
        if tester is not None:
            self.testers.append(tester)
        executor = FakeCross(group, kind="native", test_side=tester)
        self.opened.append(executor)
        return executor


AARCH64 = "cp311-manylinux_aarch64"


def test_the_fake_is_a_split_executor() -> None:
    assert isinstance(FakeCross(GroupSpec("img", "aarch64")), SplitExecutor)
    assert not isinstance(FakeExecutor(GroupSpec("img", "aarch64")), SplitExecutor)


def test_build_on_the_host_test_in_the_target(tmp_path: Path) -> None:
    backend = CrossFakes()
    outcome = run(tmp_path, plan(job(AARCH64)), backend)
    assert outcome.status() == {AARCH64: "success"}
    assert outcome.results[AARCH64].tested
    (builder,), (tester,) = backend.opened, backend.testers
    assert builder.events[0] == "start"
    assert tester.events[0] == "start"
    # the build side: the host's interpreter, the cross variables on the build command only
    builds = [c for c in builder.calls if "--out-dir" in c.argv]
    assert len(builds) == 1
    assert builds[0].env["PYTHONPATH"] == "/facts/site"
    assert all("PYTHONPATH" not in c.env for c in builder.calls if c not in builds)
    assert any("/host/python3.11" in c.argv for c in builder.calls)
    assert builder.facts_asked == ["/opt/python/cp311/bin/python"]  # the target's
    assert any("auditwheel repair" in c.text for c in builder.calls)
    assert not any("pip install" in c.text for c in builder.calls)
    # the test side: the repaired wheel put in, the target's interpreter, nothing built there
    moved = [p for p in tester.files if p.name.endswith(".whl")]
    assert [p.name for p in moved] == ["demo-0.1.0-cp311-cp311-manylinux_2_17_aarch64.whl"]
    assert tester.calls[0].argv[0] == "/tools/bin/uv"
    assert "/opt/python/cp311/bin/python" in tester.calls[0].argv
    assert any(str(moved[0]) in c.text and "pip install" in c.text for c in tester.calls)
    assert not any("--out-dir" in c.argv or "auditwheel" in c.text for c in tester.calls)
    assert "PYTHONPATH" not in tester.calls[-1].env
    assert [w.name for w in outcome.wheelhouse.iterdir()] == [moved[0].name]
    # both sides are closed
    assert builder.events[-1] == "close"
    assert tester.events[-1] == "close"


def test_without_a_test_side_the_test_is_skipped_with_a_note(tmp_path: Path) -> None:
    outcome = run(tmp_path, plan(job(AARCH64)), CrossFakes(with_tester=False))
    result = outcome.results[AARCH64]
    assert result.status == "success"
    assert not result.tested
    assert result.log is not None
    assert "[manywheel] test skipped: no image to run aarch64 in" in result.log.read_text()
    assert f"{AARCH64}: test skipped: no image to run aarch64 in" in outcome.output


def cross_executor(builder: FakeExecutor, tester: FakeExecutor | None) -> CrossExecutor:
    facts = TargetFactsSource(Engine("podman"), "img", "aarch64")
    return CrossExecutor(builder, tester, facts, {((3, 11), False): "/host/python3.11"})  # type: ignore[arg-type]


def test_cross_executor_drives_both_sides() -> None:
    group = GroupSpec("img", "aarch64")
    builder, tester = FakeExecutor(group), FakeExecutor(group)
    executor = cross_executor(builder, tester)
    executor.start()
    executor.cancel()
    builder.close_error = CleanupFailed("could not remove /tmp/x")
    with pytest.raises(CleanupFailed, match="could not remove /tmp/x"):
        executor.close()
    # the builder's failure does not keep the container
    assert builder.events == ["start", "cancel", "close"]
    assert tester.events == ["start", "cancel", "close"]


def test_keeping_a_cross_group_keeps_its_container_and_cleans_the_host() -> None:
    group = GroupSpec("img", "aarch64")
    builder, tester = FakeExecutor(group), FakeExecutor(group)
    assert cross_executor(builder, tester).keep() == "kept for inspection"
    assert tester.events == ["keep"]
    assert builder.events == ["close"]
    assert cross_executor(FakeExecutor(group), None).keep() is None


def test_the_build_side_runs_a_host_cpython_of_the_same_version() -> None:
    executor = cross_executor(FakeExecutor(GroupSpec("img", "aarch64")), None)
    assert executor.build_job(job(AARCH64)).python == "/host/python3.11"
    with pytest.raises(EnvironmentProblem) as caught:
        executor.build_job(job("cp39-manylinux_aarch64"))
    assert caught.value.message == (
        "cp39-manylinux_aarch64: a cross build needs a host CPython 3.9 to run the build "
        "backend in, and none was found. Install one (pyenv, uv python install) or list it in "
        "the 'interpreters' option."
    )


def test_the_test_side_starts_while_the_host_builds() -> None:
    group = GroupSpec("img", "aarch64")
    release = threading.Event()
    builder = FakeExecutor(group)
    tester = FakeExecutor(group, on_start=lambda _: release.wait(5))
    executor = cross_executor(builder, tester)
    executor.start()  # returns while the test side is still coming up
    assert builder.events == ["start"]
    builder.make_workdir("cp311-manylinux_aarch64")  # the build side is usable at once
    assert isinstance(executor, SplitExecutor)  # the pipeline's check does not wait for it
    waiting = threading.Thread(target=executor.started_tester)
    waiting.start()
    waiting.join(0.05)
    assert waiting.is_alive()  # the test side is asked for: it waits for the start
    release.set()
    waiting.join(5)
    assert executor.started_tester() is tester
    executor.close()
    assert tester.events == ["start", "close"]


def test_a_test_side_that_cannot_start_fails_the_tests_with_its_error(tmp_path: Path) -> None:
    error = EnvironmentProblem("podman could not start a container from 'img' (no such image)")
    backend = CrossFakes()
    failing = FakeExecutor(GroupSpec("img", "aarch64"), start_error=error)
    backend.open = lambda group: (
        backend.opened.append(  # type: ignore[method-assign]
            FakeCross(group, kind="native", test_side=failing)
        )
        or backend.opened[-1]
    )
    outcome = run(tmp_path, plan(job(AARCH64)), backend)
    result = outcome.results[AARCH64]
    assert (result.status, result.failed_step, result.error) == ("failed", "test", error.message)
    assert list(outcome.wheelhouse.iterdir()) == []  # an untested wheel is not delivered
    (builder,) = backend.opened
    assert builder.events[-1] == "close"
    assert failing.events == ["start", "close"]  # a failed start is still cleaned up


def test_closing_waits_for_a_start_in_progress_and_cancel_reaches_it() -> None:
    group = GroupSpec("img", "aarch64")
    started = threading.Event()

    def slow_start(side: FakeExecutor) -> None:
        started.set()
        side.cancelled.wait(5)  # a container start that a cancel stops
        raise EnvironmentProblem("cancelled while starting")

    tester = FakeExecutor(group, on_start=slow_start)
    executor = cross_executor(FakeExecutor(group), tester)
    executor.start()
    assert started.wait(5)
    executor.cancel()
    executor.close()  # after the start ended: never removes a container being created
    assert tester.events == ["start", "cancel", "close"]
    with pytest.raises(EnvironmentProblem, match="cancelled while starting"):
        executor.started_tester()
