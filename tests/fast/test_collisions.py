"""Two different wheels under one file name in a run are an error naming both identifiers;
identical bytes are fine. An abi3 wheel is the exception: jobs the scheduler did not hold back
(a project whose abi3 setting it cannot see) each build it, and the later ones test the wheel
that was delivered first instead of failing."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.fast.fakes import Call, FakeBackend, FakeExecutor, job, payload_of, plan
from tests.fast.harness import Outcome, run

ABI3_NAME = "demo-0.1.0-cp38-abi3-manylinux_2_17_x86_64.whl"


def abi3_everywhere() -> FakeBackend:
    return FakeBackend(configure=lambda e: setattr(e, "abi3_from", "cp38"))


def test_different_wheels_under_one_name_fail_the_second(tmp_path: Path) -> None:
    # a project that tags every wheel py3-none (both jobs accept it), built with other CFLAGS
    first = job("cp38-manylinux_x86_64", environment=(("CFLAGS", "-O1"),))
    second = job("cp39-manylinux_x86_64", environment=(("CFLAGS", "-O3"),))
    backend = FakeBackend(configure=lambda e: setattr(e, "built_tags", "py3-none"))
    outcome = run(tmp_path, plan(first, second), backend, jobs=1)
    assert outcome.status() == {
        "cp38-manylinux_x86_64": "success",
        "cp39-manylinux_x86_64": "failed",
    }
    result = outcome.results["cp39-manylinux_x86_64"]
    name = "demo-0.1.0-py3-none-manylinux_2_17_x86_64.whl"
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


def installed_wheels(calls: list[Call]) -> dict[str, list[str]]:
    """Job -> the wheels its tests installed, in order."""
    found: dict[str, list[str]] = {}
    for call in calls:
        match = re.search(r"pip install .*?(/work/(cp3\d+)\S*\.whl)", call.text)
        if match:
            found.setdefault(match[2], []).append(match[1])
    return found


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def two_abi3_builds(tmp_path: Path, on_run: Callable[[FakeExecutor, Call], None]) -> Outcome:
    """cp38 and cp39 at once, no limited-API hint, builds that differ (CFLAGS)."""

    def configure(executor: FakeExecutor) -> None:
        executor.abi3_from, executor.on_run = "cp38", on_run

    first = job("cp38-manylinux_x86_64", environment=(("CFLAGS", "-O1"),))
    second = job("cp39-manylinux_x86_64", environment=(("CFLAGS", "-O3"),))
    outcome = run(tmp_path, plan(first, second), FakeBackend(configure=configure), jobs=2)
    assert outcome.status() == {
        "cp38-manylinux_x86_64": "success",
        "cp39-manylinux_x86_64": "success",
    }
    return outcome


def assert_tested_as_delivered(outcome: Outcome, backend_calls: list[Call]) -> None:
    """One wheel out, cp38's; cp39 tested that very file in its CPython and says so."""
    assert [p.name for p in outcome.wheelhouse.iterdir()] == [ABI3_NAME]
    assert payload_of(outcome.wheelhouse / ABI3_NAME) == "-O1"
    later = outcome.results["cp39-manylinux_x86_64"]
    assert later.reused_from == "cp38-manylinux_x86_64"
    assert later.tested
    assert later.wheel == outcome.wheelhouse / ABI3_NAME
    installed = installed_wheels(backend_calls)
    assert "/delivered/" in installed["cp39"][-1]
    assert all("/delivered/" not in w for w in installed["cp38"])
    assert later.log is not None
    assert (
        f"cp38-manylinux_x86_64 already delivered {ABI3_NAME} in this run; "
        "cp39-manylinux_x86_64 tests that wheel instead of the one it built."
    ) in later.log.read_text()


def test_an_abi3_wheel_delivered_before_the_later_test_is_what_it_tests(tmp_path: Path) -> None:
    calls: list[Call] = []

    def cp38_delivers_first(executor: FakeExecutor, call: Call) -> None:
        calls.append(call)
        if "uv build" in call.text and "cp38" in call.text:  # both jobs are past reuse
            wait_for(lambda: len(executor.workdirs) == 2)
        elif "uv build" in call.text:
            wait_for((tmp_path / "wheelhouse" / ABI3_NAME).exists)

    outcome = two_abi3_builds(tmp_path, cp38_delivers_first)
    assert_tested_as_delivered(outcome, calls)
    installed = installed_wheels(calls)
    assert len(installed["cp39"]) == 1  # its own wheel was never tested


def test_an_abi3_wheel_delivered_during_the_later_test_is_tested_too(tmp_path: Path) -> None:
    calls: list[Call] = []
    testing = threading.Event()

    def cp38_delivers_while_cp39_tests(executor: FakeExecutor, call: Call) -> None:
        calls.append(call)
        if "uv build" in call.text and "cp38" in call.text:
            wait_for(testing.is_set)
        elif "&& true" in call.text and "cp39" in call.text and not testing.is_set():
            testing.set()
            wait_for((tmp_path / "wheelhouse" / ABI3_NAME).exists)

    outcome = two_abi3_builds(tmp_path, cp38_delivers_while_cp39_tests)
    assert_tested_as_delivered(outcome, calls)
    assert len(installed_wheels(calls)["cp39"]) == 2  # its own, then the delivered one


def test_a_free_threaded_job_never_takes_an_abi3_wheel(tmp_path: Path) -> None:
    """abi3 is not a free-threaded CPython's ABI: a cp313t job whose build is tagged abi3
    (a mis-tagging project) neither reuses nor delivers it: its build step refuses the wheel
    as one for another interpreter, and the cp38 job's abi3 wheel stays alone."""
    first = job("cp38-manylinux_x86_64", environment=(("CFLAGS", "-O1"),))
    free = job(
        "cp313t-manylinux_x86_64", environment=(("CFLAGS", "-O3"),), free_threaded_gil="ignore"
    )
    backend = FakeBackend(configure=lambda e: setattr(e, "built_tags", "cp38-abi3"))
    outcome = run(tmp_path, plan(first, free), backend, jobs=1)
    assert outcome.status() == {
        "cp38-manylinux_x86_64": "success",
        "cp313t-manylinux_x86_64": "failed",
    }
    result = outcome.results["cp313t-manylinux_x86_64"]
    assert result.failed_step == "build"
    assert result.error is not None
    assert "the wheel is for another interpreter" in result.error
    assert result.reused_from is None
    assert [p.name for p in outcome.wheelhouse.iterdir()] == [ABI3_NAME]
