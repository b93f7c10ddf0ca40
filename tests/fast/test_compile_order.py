"""Jobs whose CPythons compile with the same flags share objects through the compiler cache:
the first of each flag signature starts first, side by side with the other signatures' first,
and the rest of a signature build once it finished building."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from manywheel.caching.warm_records import WarmRecords
from manywheel.config.identifiers import Identifier
from manywheel.planning.interpreters import Interpreter
from manywheel.planning.plan import Job
from manywheel.run.compile_order import flag_signature, static_signature, warm_order
from tests.fast.fakes import Call, FakeBackend, FakeExecutor, job, plan
from tests.fast.harness import run


def names(jobs: list[Job]) -> list[str]:
    return [
        j.identifier.python_tag + ("-musl" if j.identifier.kind == "musllinux" else "")
        for j in jobs
    ]


def manylinux(*tags: str, image: str = "img") -> list[Job]:
    return [job(f"{tag}-manylinux_x86_64", image=image) for tag in tags]


# as on this project's machines: the pyenv CPythons' sysconfig CC | CFLAGS | CCSHARED | OPT
_OLD_OPT = "-DNDEBUG -g -fwrapv -O3 -Wall"
_NEW_OPT = "-DNDEBUG -g -O3 -Wall"
HOST_FLAGS = {
    "cp38": f"gcc | -Wno-unused-result -Wsign-compare {_OLD_OPT} -DOPENSSL_NO_SSL3 | -fPIC | "
    + _OLD_OPT,
    "cp39": f"gcc | -Wno-unused-result -Wsign-compare {_OLD_OPT} -DOPENSSL_NO_SSL3 | -fPIC | "
    + _OLD_OPT,
    "cp310": f"gcc | -Wno-unused-result -Wsign-compare {_OLD_OPT} | -fPIC | {_OLD_OPT}",
    "cp311": f"gcc | -Wsign-compare {_OLD_OPT} | -fPIC | {_OLD_OPT}",
    "cp312": f"gcc | -fno-strict-overflow -Wsign-compare {_NEW_OPT} | -fPIC | {_NEW_OPT}",
    "cp313": f"gcc | -fno-strict-overflow -Wsign-compare {_NEW_OPT} | -fPIC | {_NEW_OPT}",
}


def test_the_first_of_each_signature_starts_first(monkeypatch: pytest.MonkeyPatch) -> None:
    def probe(path: str) -> Interpreter:
        tag = path.split("/")[3]
        ident = Identifier.parse(f"{tag}-manylinux_x86_64")
        return Interpreter(path, "3.x", ident, compile_flags=HOST_FLAGS[tag])

    monkeypatch.setattr("manywheel.run.compile_order.probe", probe)
    jobs = manylinux(*HOST_FLAGS, image="")
    order = warm_order(jobs, flag_signature)
    # cp310 and cp311 differ by -Wno-unused-result only, which ccache does not hash: they share
    # (cp38 and cp39 compile with a -D of their own, cp312 and cp313 with other -f options)
    assert names(order) == ["cp38", "cp310", "cp312", "cp39", "cp311", "cp313"]


def test_an_images_signatures_are_guessed_by_version() -> None:
    tags = ("cp38", "cp39", "cp310", "cp311", "cp312", "cp313", "cp313t", "cp314", "cp315")
    order = warm_order(manylinux(*tags), lambda j: static_signature(j.identifier))
    # <=3.11 (-fwrapv) | 3.12 to 3.14 (-fno-strict-overflow; free-threaded as its version) |
    # >=3.15 (frame pointers too)
    assert names(order) == [
        *("cp38", "cp312", "cp315"),
        *("cp39", "cp313"),
        *("cp310", "cp313t"),
        *("cp311", "cp314"),
    ]


def test_an_images_cpythons_build_in_two_signatures_and_its_pypy_in_its_own(
    tmp_path: Path,
) -> None:
    """What a user sees in the job log: with the compiler cache on and one worker, the first
    of each signature builds first, then the others in plan order."""
    backend = FakeBackend()
    jobs = manylinux("cp38", "cp39", "cp310", "cp311", "cp312", "cp313", "pp39")
    outcome = run(tmp_path, plan(*jobs), backend, jobs=1, share_objects=True)
    assert set(outcome.status().values()) == {"success"}
    assert build_order(backend.opened[0]) == [
        *("cp38", "cp312", "pp39"),  # the first of <=3.11, of >=3.12, PyPy 3.9's
        *("cp39", "cp313", "cp310", "cp311"),
    ]


def test_a_pypy_shares_its_signature_with_no_cpython() -> None:
    tags = ("cp39", "cp310", "pp39", "cp312")
    order = warm_order(manylinux(*tags), lambda j: static_signature(j.identifier))
    # pp39 is the first of its own signature: it starts with cp39 and cp312, not after cp310
    assert names(order) == ["cp39", "pp39", "cp312", "cp310"]


def test_groups_keep_their_places_in_the_plan() -> None:
    # the plan interleaves manylinux and musllinux jobs (sorted by version): each image's
    # jobs are reordered among the places its own jobs had
    jobs = []
    for tag in ("cp310", "cp311", "cp312", "cp313"):
        jobs.append(job(f"{tag}-manylinux_x86_64", image="manylinux"))
        jobs.append(job(f"{tag}-musllinux_x86_64", image="musllinux"))
    same = warm_order(jobs, lambda j: "one signature")
    assert same == jobs
    by_version = warm_order(jobs, lambda j: static_signature(j.identifier))
    assert names(by_version) == [
        *("cp310", "cp310-musl", "cp312", "cp312-musl"),
        *("cp311", "cp311-musl", "cp313", "cp313-musl"),
    ]


def build_order(executor: FakeExecutor) -> list[str]:
    """The CPythons whose builds ran, in the order they started."""
    return [call.build_of for call in executor.calls if call.build_of]


def is_build_of(tag: str, call: Call) -> bool:
    return f"/work/{tag}-manylinux_x86_64-" in call.out_dir


def test_a_build_waits_for_the_first_of_its_signature(tmp_path: Path) -> None:
    """cp311 and cp312 (other flags) build side by side; cp313 (cp312's flags) starts its
    build once cp312's ended."""
    side_by_side = threading.Barrier(2, timeout=30)
    seen_during_cp312: list[str] = []

    def hook(executor: FakeExecutor, call: Call) -> int | None:
        if is_build_of("cp311", call):
            side_by_side.wait()
        if is_build_of("cp312", call):
            side_by_side.wait()
            # until cp313 is held, or (without the hold) started its own build
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (
                waiting(tmp_path, "cp313") or any(is_build_of("cp313", c) for c in executor.calls)
            ):
                time.sleep(0.01)
            seen_during_cp312.extend(c.text for c in executor.calls if "cp313-" in c.text)
        return None

    backend = FakeBackend(configure=lambda e: setattr(e, "on_run", hook))
    jobs = manylinux("cp311", "cp312", "cp313")
    outcome = run(tmp_path, plan(*jobs), backend, jobs=3, share_objects=True)
    assert set(outcome.status().values()) == {"success"}
    assert seen_during_cp312 == []  # cp313 ran nothing while cp312 built
    assert "waiting for cp312-manylinux_x86_64 to finish building" in log_of(tmp_path, "cp313")
    assert not waiting(tmp_path, "cp311")
    assert not waiting(tmp_path, "cp312")


def log_of(tmp_path: Path, tag: str) -> str:
    return "".join(p.read_text() for p in (tmp_path / "logs").rglob(f"{tag}-*.log"))


def waiting(tmp_path: Path, tag: str) -> bool:
    return "[manywheel] waiting for " in log_of(tmp_path, tag)


def test_a_signature_an_earlier_run_warmed_is_not_waited_for(tmp_path: Path) -> None:
    """The first run's cp312 build stores the shared objects; in the next run of the same
    shareable files (a file including Python.h edited), cp313 does not wait for cp312; after
    an edit of a shareable file it does again."""

    def slow_cp312(executor: FakeExecutor, call: Call) -> int | None:
        if is_build_of("cp312", call):
            time.sleep(0.5)  # cp313 reaches its build step meanwhile
        return None

    def once(name: str, records: WarmRecords) -> bool:
        backend = FakeBackend(configure=lambda e: setattr(e, "on_run", slow_cp312))
        jobs = manylinux("cp312", "cp313")
        outcome = run(
            tmp_path / name, plan(*jobs), backend, jobs=2, share_objects=True, warm_records=records
        )
        assert set(outcome.status().values()) == {"success"}
        return waiting(tmp_path / name, "cp313")

    records = WarmRecords(tmp_path / "warmed", shared="digest-1")
    assert once("first", records)
    assert records.warmed("img", "x86_64", static_signature(manylinux("cp312")[0].identifier))
    assert not once("again", records)
    assert once("shared-file-edited", WarmRecords(tmp_path / "warmed", shared="digest-2"))


def test_a_failed_first_build_warms_nothing(tmp_path: Path) -> None:
    def configure(executor: FakeExecutor) -> None:
        executor.fail_when = {"--out-dir /work/cp312-manylinux_x86_64-": 1}

    records = WarmRecords(tmp_path / "warmed", shared="digest-1")
    jobs = manylinux("cp312", "cp313")
    run(
        tmp_path / "1",
        plan(*jobs),
        FakeBackend(configure=configure),
        jobs=2,
        share_objects=True,
        warm_records=records,
    )
    assert not records.warmed("img", "x86_64", static_signature(jobs[0].identifier))


def test_a_failed_first_build_releases_the_others(tmp_path: Path) -> None:
    def configure(executor: FakeExecutor) -> None:
        executor.fail_when = {"--out-dir /work/cp312-manylinux_x86_64-": 1}

    backend = FakeBackend(configure=configure)
    jobs = manylinux("cp312", "cp313")
    outcome = run(tmp_path, plan(*jobs), backend, jobs=2, share_objects=True)
    assert outcome.status() == {
        "cp312-manylinux_x86_64": "failed",
        "cp313-manylinux_x86_64": "success",
    }


def test_jobs_start_in_warm_order_and_report_in_plan_order(tmp_path: Path) -> None:
    backend = FakeBackend()
    jobs = manylinux("cp310", "cp311", "cp312", "cp313")
    outcome = run(
        tmp_path,
        plan(*jobs),
        backend,
        jobs=1,
        share_objects=True,
        signature=lambda j: "old" if j.identifier.version < (3, 12) else "new",
    )
    assert list(outcome.results) == [j.name for j in jobs]  # the report's order
    assert build_order(backend.opened[0]) == ["cp310", "cp312", "cp311", "cp313"]


def test_without_a_compiler_cache_nothing_waits_or_moves(tmp_path: Path) -> None:
    backend = FakeBackend()
    jobs = manylinux("cp310", "cp311", "cp312", "cp313")
    outcome = run(tmp_path, plan(*jobs), backend, jobs=1, signature=lambda j: "one")
    assert set(outcome.status().values()) == {"success"}
    assert build_order(backend.opened[0]) == ["cp310", "cp311", "cp312", "cp313"]
    assert not any(waiting(tmp_path, tag) for tag in ("cp311", "cp312", "cp313"))


@pytest.mark.timeout(60)
def test_the_abi3_hold_keeps_the_plan_order(tmp_path: Path) -> None:
    # one worker: a later CPython started before an older one would wait for it forever
    backend = FakeBackend(configure=lambda e: setattr(e, "abi3_from", "cp38"))
    jobs = manylinux("cp38", "cp39", "cp310", "cp311", "cp312", "cp313")
    outcome = run(tmp_path, plan(*jobs), backend, jobs=1, limited_api=True, share_objects=True)
    assert set(outcome.status().values()) == {"success"}
    reused = {r.reused_from for name, r in outcome.results.items() if name != jobs[0].name}
    assert reused == {jobs[0].name}
