"""An abi3 wheel is built once per platform and tested on every later CPython."""

from __future__ import annotations

import re
import time
from pathlib import Path

from manywheel.caching.wheel_cache import WheelCache
from tests.fast.fakes import Call, FakeBackend, FakeExecutor, job, plan
from tests.fast.harness import run

VERSIONS = ("cp38", "cp39", "cp310", "cp311", "cp312")


def abi3_backend() -> FakeBackend:
    return FakeBackend(configure=lambda e: setattr(e, "abi3_from", "cp38"))


def jobs(*tags: str) -> list:  # type: ignore[type-arg]
    return [job(f"{tag}-manylinux_x86_64", before_build="echo before-build") for tag in tags]


def count(executor: FakeExecutor, needle: str) -> int:
    return sum(needle in call.text for call in executor.calls)


def test_limited_api_project_builds_once_and_tests_everywhere(tmp_path: Path) -> None:
    backend = abi3_backend()
    outcome = run(tmp_path, plan(*jobs(*VERSIONS)), backend, jobs=3, limited_api=True)
    assert set(outcome.status().values()) == {"success"}
    (executor,) = backend.opened
    assert count(executor, "uv build") == 1
    assert count(executor, "echo before-build") == 1
    assert count(executor, "auditwheel repair") == 1
    assert count(executor, "&& true") == len(VERSIONS)  # each CPython tested the wheel
    wheels = {r.wheel for r in outcome.results.values()}
    assert len(wheels) == 1
    assert [p.name for p in outcome.wheelhouse.glob("*.whl")] == [
        "demo-0.1.0-cp38-abi3-manylinux_2_17_x86_64.whl"
    ]
    reused = {name: r.reused_from for name, r in outcome.results.items()}
    assert reused == {
        "cp38-manylinux_x86_64": None,
        **{f"{t}-manylinux_x86_64": "cp38-manylinux_x86_64" for t in VERSIONS[1:]},
    }
    assert "abi3 wheel of cp38-manylinux_x86_64" in outcome.output


def test_without_a_hint_a_sequential_run_still_reuses(tmp_path: Path) -> None:
    backend = abi3_backend()
    outcome = run(tmp_path, plan(*jobs(*VERSIONS)), backend, jobs=1)
    assert set(outcome.status().values()) == {"success"}
    assert count(backend.opened[0], "uv build") == 1


def test_free_threaded_pythons_build_their_own(tmp_path: Path) -> None:
    backend = FakeBackend(configure=lambda e: setattr(e, "abi3_from", "cp310"))
    the_jobs = jobs("cp310", "cp311")
    # the GIL probe reads a report the fake executor does not write: tests/integration cover it
    the_jobs.append(job("cp313t-manylinux_x86_64", free_threaded_gil="ignore"))
    outcome = run(tmp_path, plan(*the_jobs), backend, jobs=1, limited_api=True)
    assert set(outcome.status().values()) == {"success"}
    reused = {name: r.reused_from for name, r in outcome.results.items()}
    assert reused == {
        "cp310-manylinux_x86_64": None,
        "cp311-manylinux_x86_64": "cp310-manylinux_x86_64",
        "cp313t-manylinux_x86_64": None,  # abi3 is not the free-threaded ABI
    }
    assert count(backend.opened[0], "uv build") == 2


def test_a_failed_first_build_lets_the_others_build(tmp_path: Path) -> None:
    def configure(executor: FakeExecutor) -> None:
        executor.abi3_from = "cp38"
        executor.fail_when = {"--out-dir /work/cp38-manylinux_x86_64-": 1}  # cp38's build

    backend = FakeBackend(configure=configure)
    outcome = run(tmp_path, plan(*jobs("cp38", "cp39", "cp310")), backend, limited_api=True)
    assert outcome.status() == {
        "cp38-manylinux_x86_64": "failed",
        "cp39-manylinux_x86_64": "success",
        "cp310-manylinux_x86_64": "success",
    }
    assert count(backend.opened[0], "uv build") == 2  # cp39 took over; cp310 reused its wheel


def test_the_cache_holds_the_abi3_wheel_once(tmp_path: Path) -> None:
    cache = WheelCache(tmp_path / "cache", 1 << 30)
    cold = run(
        tmp_path / "cold", plan(*jobs(*VERSIONS)), abi3_backend(), cache=cache, limited_api=True
    )
    assert set(cold.status().values()) == {"success"}
    files = list((tmp_path / "cache").glob("*/*/*.whl"))
    assert len(files) == len(VERSIONS)
    assert len({f.stat().st_ino for f in files}) == 1  # one wheel, linked from every entry
    backend = abi3_backend()
    warm = run(tmp_path / "warm", plan(*jobs(*VERSIONS)), backend, cache=cache, limited_api=True)
    assert all(r.cached and r.tested for r in warm.results.values())
    assert backend.opened == []  # nothing to build or test: no executor started


def test_a_version_gated_abi3_setting_builds_the_abi3_wheel_once(tmp_path: Path) -> None:
    """py_limited_api only from 3.12 on: cp310 builds an ordinary wheel, which releases only
    its own job; cp312 builds the abi3 wheel and cp313 reuses it (before, cp312 and cp313 both
    built cp312-abi3, and the second could collide with the first in deliver)."""

    def configure(executor: FakeExecutor) -> None:
        executor.abi3_from, executor.abi3_gated = "cp312", True
        executor.on_run = build_last_started

    def build_last_started(executor: FakeExecutor, call: Call) -> None:
        # cp310 builds once every job has its work dir: the others are all waiting by then;
        # later builds take a while, as real ones do (a job released early would build too)
        if "uv build" in call.text and "cp310" in call.text:
            deadline = time.monotonic() + 10
            while len(executor.workdirs) < 4 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.1)
        elif "uv build" in call.text:
            time.sleep(0.2)

    backend = FakeBackend(configure=configure)
    the_jobs = jobs("cp310", "cp311", "cp312", "cp313")
    outcome = run(tmp_path, plan(*the_jobs), backend, jobs=4, limited_api=True)
    assert set(outcome.status().values()) == {"success"}
    assert count(backend.opened[0], "uv build") == 3  # cp310, cp311, cp312
    assert {name: r.reused_from for name, r in outcome.results.items()} == {
        "cp310-manylinux_x86_64": None,
        "cp311-manylinux_x86_64": None,
        "cp312-manylinux_x86_64": None,
        "cp313-manylinux_x86_64": "cp312-manylinux_x86_64",
    }
    assert sorted(p.name for p in outcome.wheelhouse.glob("*.whl")) == [
        "demo-0.1.0-cp310-cp310-manylinux_2_17_x86_64.whl",
        "demo-0.1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        "demo-0.1.0-cp312-abi3-manylinux_2_17_x86_64.whl",
    ]


def test_pypy_builds_its_own_wheel_next_to_an_abi3_one(tmp_path: Path) -> None:
    """PyPy has no stable ABI: as cibuildwheel decides, a PyPy job never takes the cp3X-abi3
    wheel of a CPython job (pip would install it; whether it works is another matter)."""
    backend = abi3_backend()
    the_jobs = [*jobs("cp38", "cp39"), job("pp310-manylinux_x86_64")]
    outcome = run(tmp_path, plan(*the_jobs), backend, jobs=1, limited_api=True)
    assert set(outcome.status().values()) == {"success"}
    reused = {name: r.reused_from for name, r in outcome.results.items()}
    assert reused == {
        "cp38-manylinux_x86_64": None,
        "cp39-manylinux_x86_64": "cp38-manylinux_x86_64",
        "pp310-manylinux_x86_64": None,
    }
    assert sorted(p.name for p in outcome.wheelhouse.glob("*.whl")) == [
        "demo-0.1.0-cp38-abi3-manylinux_2_17_x86_64.whl",
        "demo-0.1.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl",
    ]


def test_a_job_waiting_for_the_abi3_wheel_has_its_project_copied_meanwhile(
    tmp_path: Path,
) -> None:
    """The copy of the project is not put off until the wheel arrives: cp39's is made while
    cp38 builds, so that its test starts as soon as the wheel is delivered."""
    copied_during_build: list[bool] = []

    def configure(executor: FakeExecutor) -> None:
        executor.abi3_from = "cp38"
        executor.on_run = wait_for_both_copies

    def wait_for_both_copies(executor: FakeExecutor, call: Call) -> None:
        if "uv build" in call.text:
            deadline = time.monotonic() + 2
            while executor.events.count("prepare_source") < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            copied_during_build.append(executor.events.count("prepare_source") == 2)

    backend = FakeBackend(configure=configure)
    outcome = run(tmp_path, plan(*jobs("cp38", "cp39")), backend, jobs=2, limited_api=True)
    assert set(outcome.status().values()) == {"success"}
    assert outcome.results["cp39-manylinux_x86_64"].reused_from == "cp38-manylinux_x86_64"
    assert copied_during_build == [True]


def installed_by(executor: FakeExecutor, name: str) -> list[str]:
    """The wheels job ``name``'s tests installed, in order."""
    found = []
    for call in executor.calls:
        match = re.search(rf"pip install .*?(/work/{name}-\d+/(\w+)/\S*\.whl)", call.text)
        if match:
            found.append(match[2])  # where it came from: offered, reused, or its own repaired
    return found


def runs_test(call: Call, name: str) -> bool:
    return "&& true" in call.text and f"/work/{name}-" in call.text


def test_a_held_job_tests_the_abi3_wheel_while_its_builder_tests_it(tmp_path: Path) -> None:
    """cp39 does not wait for cp38 to test and deliver the abi3 wheel: it tests the repaired
    wheel at the same time (cp38's test waits here until cp39's ran), and takes the delivered
    one without testing it again."""
    both_at_once: list[bool] = []

    def configure(executor: FakeExecutor) -> None:
        executor.abi3_from, executor.on_run = "cp38", cp38_tests_after_cp39

    def cp38_tests_after_cp39(executor: FakeExecutor, call: Call) -> None:
        if runs_test(call, "cp38-manylinux_x86_64"):
            deadline = time.monotonic() + 3
            while not installed_by(executor, "cp39-manylinux_x86_64"):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            both_at_once.append(bool(installed_by(executor, "cp39-manylinux_x86_64")))

    backend = FakeBackend(configure=configure)
    outcome = run(tmp_path, plan(*jobs("cp38", "cp39")), backend, jobs=2, limited_api=True)
    assert set(outcome.status().values()) == {"success"}
    assert both_at_once == [True]
    (executor,) = backend.opened
    assert installed_by(executor, "cp39-manylinux_x86_64") == ["offered"]  # once, early
    later = outcome.results["cp39-manylinux_x86_64"]
    assert later.reused_from == "cp38-manylinux_x86_64"
    assert later.tested
    assert later.wheel == outcome.wheelhouse / "demo-0.1.0-cp38-abi3-manylinux_2_17_x86_64.whl"
    assert later.log is not None
    assert (
        "cp38-manylinux_x86_64 repaired demo-0.1.0-cp38-abi3-manylinux_2_17_x86_64.whl, that's "
        "compatible with cp39-manylinux_x86_64: tested here while cp38-manylinux_x86_64 tests "
        "it too"
    ) in later.log.read_text()
    assert count(executor, "uv build") == 1


def test_an_offer_is_void_when_its_builder_fails_its_own_test(tmp_path: Path) -> None:
    """cp38's wheel fails cp38's test after cp39 tested it early: cp38 delivers nothing, so
    cp39 builds, tests and delivers its own, as when cp38's build fails."""

    def configure(executor: FakeExecutor) -> None:
        executor.abi3_from, executor.on_run = "cp38", cp38_fails_its_test

    def cp38_fails_its_test(executor: FakeExecutor, call: Call) -> int | None:
        if runs_test(call, "cp38-manylinux_x86_64"):
            deadline = time.monotonic() + 3
            while (
                not installed_by(executor, "cp39-manylinux_x86_64") and time.monotonic() < deadline
            ):
                time.sleep(0.01)
            return 1
        return None

    backend = FakeBackend(configure=configure)
    outcome = run(tmp_path, plan(*jobs("cp38", "cp39")), backend, jobs=2, limited_api=True)
    assert outcome.status() == {
        "cp38-manylinux_x86_64": "failed",
        "cp39-manylinux_x86_64": "success",
    }
    (executor,) = backend.opened
    assert count(executor, "uv build") == 2
    assert installed_by(executor, "cp39-manylinux_x86_64") == ["offered", "repaired"]
    later = outcome.results["cp39-manylinux_x86_64"]
    assert later.reused_from is None
    assert later.tested
    assert [p.name for p in outcome.wheelhouse.glob("*.whl")] == [
        "demo-0.1.0-cp38-abi3-manylinux_2_17_x86_64.whl"  # cp39's build, abi3 from cp38 on
    ]
