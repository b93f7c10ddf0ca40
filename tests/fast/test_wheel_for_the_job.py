"""A build that succeeds but leaves no wheel, or a wheel for another interpreter, fails its job
in the step that did it, naming what it found and the tags the job expects."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import pytest

from manywheel.run.results import JobResult
from tests.fast.fakes import Call, FakeBackend, FakeExecutor, job, plan, wheel_bytes
from tests.fast.harness import run


def build_writes(tags: str) -> FakeBackend:
    return FakeBackend(configure=lambda e: setattr(e, "built_tags", tags))


def only_result(tmp_path: Path, identifier: str, backend: FakeBackend) -> JobResult:
    outcome = run(tmp_path, plan(job(identifier)), backend)
    return outcome.results[identifier]


def test_no_wheel_fails_the_build_naming_the_tags_expected(tmp_path: Path) -> None:
    result = only_result(tmp_path, "pp39-manylinux_x86_64", build_writes(""))
    assert (result.status, result.failed_step) == ("failed", "build")
    assert result.error is not None
    assert result.error.startswith("the build frontend succeeded but left no wheel in /work/")
    assert (
        "expected a wheel for pp39-manylinux_x86_64 (PyPy 3.9, /opt/python/pp39/bin/python) "
        "tagged pp39-pypy39_pp73, or py3-none." in result.error
    )
    assert "build_wheel hook must write the wheel into the directory it is given" in result.error
    assert result.wheel is None


def test_a_cpython_wheel_in_a_pypy_job_fails_the_build(tmp_path: Path) -> None:
    result = only_result(tmp_path, "pp39-manylinux_x86_64", build_writes("cp311-cp311"))
    assert (result.status, result.failed_step) == ("failed", "build")
    assert result.error is not None
    assert result.error.startswith(
        "build produced demo-0.1.0-cp311-cp311-linux_x86_64.whl, a wheel tagged cp311-cp311, "
        "but this job expects a wheel for pp39-manylinux_x86_64 (PyPy 3.9, "
        "/opt/python/pp39/bin/python) tagged pp39-pypy39_pp73, or py3-none: the wheel is for "
        "another interpreter."
    )
    assert not list((tmp_path / "wheelhouse").glob("*.whl"))


@pytest.mark.parametrize(
    ("tags", "status"),
    [
        ("cp311-cp311", "success"),
        ("cp38-abi3", "success"),
        ("cp311-abi3", "success"),
        ("py3-none", "success"),
        ("cp312-abi3", "failed"),  # needs 3.12's stable ABI
        ("cp312-cp312", "failed"),
        ("pp311-pypy311_pp73", "failed"),
    ],
)
def test_what_a_cpython_job_accepts(tmp_path: Path, tags: str, status: str) -> None:
    result = only_result(tmp_path, "cp311-manylinux_x86_64", build_writes(tags))
    assert result.status == status, result.error
    if status == "failed":
        assert result.failed_step == "build"
        assert result.error is not None
        assert "tagged cp311-cp311, cp3X-abi3 with X <= 11, or py3-none" in result.error


def test_an_eol_cpython_job_accepts_its_pymalloc_abi(tmp_path: Path) -> None:
    result = only_result(tmp_path, "cp37-manylinux_x86_64", build_writes("cp37-cp37m"))
    assert result.status == "success", result.error


def test_what_a_pypy_job_accepts(tmp_path: Path) -> None:
    for tags, status in [
        ("pp39-pypy39_pp73", "success"),
        ("py3-none", "success"),
        ("cp39-abi3", "failed"),  # PyPy has no stable ABI
        ("pp39-pypy39_pp80", "failed"),  # another PyPy release's ABI
        ("pp310-pypy310_pp73", "failed"),
    ]:
        result = only_result(tmp_path / tags, "pp39-manylinux_x86_64", build_writes(tags))
        assert result.status == status, (tags, result.error)


def test_a_repair_that_retags_the_wheel_fails_the_repair(tmp_path: Path) -> None:
    def retag(executor: FakeExecutor, call: Call) -> int | None:
        repair = re.search(r"auditwheel repair -w (\S+) (\S+)", call.text)
        if repair is None:
            return None
        name = "demo-0.1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
        executor.files[PurePosixPath(repair[1]) / name] = wheel_bytes(name, "")
        return 0

    backend = FakeBackend(configure=lambda e: setattr(e, "on_run", retag))
    result = only_result(tmp_path, "pp39-manylinux_x86_64", backend)
    assert (result.status, result.failed_step) == ("failed", "repair")
    assert result.error is not None
    assert result.error.startswith(
        "the repair command turned demo-0.1.0-pp39-pypy39_pp73-linux_x86_64.whl into "
        "demo-0.1.0-cp311-cp311-manylinux_2_17_x86_64.whl, tagged cp311-cp311, but "
        "pp39-manylinux_x86_64 (PyPy 3.9) installs only wheels tagged pp39-pypy39_pp73, or "
        "py3-none."
    )


def test_a_pypy_job_builds_its_own_wheel(tmp_path: Path) -> None:
    result = only_result(tmp_path, "pp39-manylinux_x86_64", FakeBackend())
    assert result.status == "success", result.error
    assert result.wheel is not None
    assert result.wheel.name == "demo-0.1.0-pp39-pypy39_pp73-manylinux_2_17_x86_64.whl"
