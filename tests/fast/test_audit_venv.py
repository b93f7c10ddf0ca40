"""The audit's venv is made while the wheel is repaired, its lines go into the job's log after
the repair's, and it is gone afterwards, also when the repair fails. The host's commands (uv
venv, the audit command) are stood in for here, as this layer starts no process; uv and
abi3audit run for real in tests/integration/test_audit.py."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from manywheel.planning.plan import Job
from manywheel.steps import audit
from manywheel.steps.context import JobContext
from tests.fast.fakes import Call, FakeBackend, FakeExecutor, RunHook, job, plan
from tests.fast.harness import run

IDENT = "cp311-manylinux_x86_64"


def _backend(on_run: RunHook) -> FakeBackend:
    def configure(executor: FakeExecutor) -> None:
        executor.abi3_from = "cp38"  # a cp38-abi3 wheel: the {abi3_wheel} command applies
        executor.on_run = on_run

    return FakeBackend(configure=configure)


def _audited_job() -> Job:
    return job(IDENT, audit_command="test -f {abi3_wheel}", audit_requires=())


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the audit's temporary directory goes; the host's commands stood in for: a venv
    command makes the venv's pyvenv.cfg, after a while, and every command says what it ran."""

    def host_run(
        ctx: JobContext,
        argv: Sequence[str],
        *,
        note: Callable[[str], None] | None = None,
        **_: object,
    ) -> tuple[int, str]:
        (note or ctx.note)(f"\n[manywheel] audit: $ {' '.join(argv)}")
        if "venv" in argv:
            time.sleep(0.2)
            (Path(argv[-1]) / "pyvenv.cfg").parent.mkdir(parents=True)
            (Path(argv[-1]) / "pyvenv.cfg").write_text("home = /usr/bin\n")
        return 0, ""

    where = tmp_path / "temp"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    monkeypatch.setattr(audit, "_host_run", host_run)
    return where


def test_the_audit_venv_is_made_while_the_wheel_is_repaired(tmp_path: Path, temp: Path) -> None:
    seen: list[str] = []

    def on_run(executor: FakeExecutor, call: Call) -> int | None:
        if "auditwheel repair" in call.text:  # the repair waits until the venv is there
            deadline = time.monotonic() + 30
            while not list(temp.glob("manywheel-audit-*/venv/pyvenv.cfg")):
                if time.monotonic() > deadline:
                    return 1
                time.sleep(0.02)
            seen.append("the venv was made during the repair")
        return None

    outcome = run(tmp_path, plan(_audited_job()), _backend(on_run))
    assert outcome.status() == {IDENT: "success"}
    assert seen == ["the venv was made during the repair"]
    result = outcome.results[IDENT]
    assert "audit" in result.timings
    assert result.log is not None
    log = result.log.read_text()
    repair = log.index("auditwheel repair -w")
    venv = log.index("[manywheel] audit: $ ")
    command = log.index("[manywheel] audit: $ sh -c test -f ")
    assert repair < venv < command  # its lines after the repair's, not among them
    assert " venv " in log[venv:command]
    assert list(temp.iterdir()) == []  # the venv and the wheel's copy are gone


def test_a_failed_repair_leaves_no_audit_venv(tmp_path: Path, temp: Path) -> None:
    def on_run(executor: FakeExecutor, call: Call) -> int | None:
        return 1 if "auditwheel repair" in call.text else None

    outcome = run(tmp_path, plan(_audited_job()), _backend(on_run))
    result = outcome.results[IDENT]
    assert (result.status, result.failed_step) == ("failed", "repair")
    assert "audit" not in result.timings
    assert list(temp.iterdir()) == []
