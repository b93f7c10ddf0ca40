"""One job on its own: what it raised becomes its status, no secret stays in its result, and
a failed job is handed to --debug-shell while its executor is still open."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from manywheel.errors import Cancelled, ConfigError, GroupNotStarted, StepFailed
from manywheel.planning.plan import Plan
from manywheel.run.job_runner import record_exception
from manywheel.run.logs import RunLogs
from manywheel.run.reporting import Reporter
from manywheel.run.results import JobResult
from manywheel.run.scheduler import Scheduler
from manywheel.run.wheelhouse import Wheelhouse
from tests.fast.fakes import Call, FakeBackend, FakeExecutor, job, plan
from tests.fast.harness import run


@pytest.mark.parametrize(
    ("raised", "status", "step", "error"),
    [
        (GroupNotStarted("no image"), "not-started", "start", "no image"),
        (
            StepFailed("exit 1", step="build", command="uv", returncode=1),
            "failed",
            "build",
            "exit 1",
        ),
        (Cancelled("stopped"), "cancelled", None, None),
        (ConfigError("bad copy"), "failed", "prepare", "bad copy"),
        (KeyError("x"), "failed", "internal", "internal error: KeyError: 'x' (a bug in manywheel)"),
    ],
)
def test_what_a_job_raised_becomes_its_status(
    raised: Exception, status: str, step: str | None, error: str | None
) -> None:
    result = JobResult("cp312-manylinux_x86_64")
    record_exception(result, raised)
    assert (result.status, result.failed_step, result.error) == (status, step, error)


def test_a_bug_is_a_failed_job_whose_error_holds_no_secret(tmp_path: Path) -> None:
    def crash(executor: FakeExecutor, call: Call) -> int | None:
        if "uv build" in call.text and "API_TOKEN" in call.env:
            raise RuntimeError(f"unexpected output: {call.env['API_TOKEN']}")
        return None

    backend = FakeBackend(configure=lambda e: setattr(e, "on_run", crash))
    the_job = job("cp312-manylinux_x86_64", environment=(("API_TOKEN", "tok-123456"),))
    outcome = run(tmp_path, plan(the_job, job("cp313-manylinux_x86_64")), backend)
    result = outcome.results["cp312-manylinux_x86_64"]
    assert (result.status, result.failed_step) == ("failed", "internal")
    assert result.error == (
        "internal error: RuntimeError: unexpected output: **** (a bug in manywheel)"
    )
    assert outcome.results["cp313-manylinux_x86_64"].status == "success"


def debug_shell_scheduler(tmp_path: Path, the_plan: Plan, backend: FakeBackend) -> Scheduler:
    wheelhouse = Wheelhouse(tmp_path / "wheelhouse")
    wheelhouse.ensure()
    return Scheduler(
        plan=the_plan,
        backend=backend,
        wheelhouse=wheelhouse,
        logs=RunLogs(tmp_path / "logs"),
        reporter=Reporter(io.StringIO()),
        jobs=2,
        fail_fast=False,
        debug_shell=True,
    )


def test_debug_shell_opens_in_each_failed_job_before_cleanup(tmp_path: Path) -> None:
    def configure(executor: FakeExecutor) -> None:
        if executor.group.image == "bad":
            executor.fail_when = {"uv build": 1}

    backend = FakeBackend(configure=configure)
    jobs = [job(f"cp3{m}-manylinux_x86_64", image="bad") for m in (11, 12)]
    jobs.append(job("cp312-manylinux_i686", image="good"))
    scheduler = debug_shell_scheduler(tmp_path, plan(*jobs), backend)
    statuses = [r.status for r in scheduler.run()]
    assert statuses == ["failed", "failed", "success"]
    bad, good = backend.opened if backend.opened[0].group.image == "bad" else backend.opened[::-1]
    assert bad.events[-3:] == ["debug-shell", "debug-shell", "close"]
    assert "debug-shell" not in good.events


def test_a_succeeded_jobs_work_dir_is_removed_while_the_run_goes_on(tmp_path: Path) -> None:
    """Not at the end with the rest (the run's last step): a failed job's stays, for
    --keep-container and --debug-shell."""
    backend = FakeBackend(configure=lambda e: setattr(e, "fail_when", {"cp311": 1}))
    outcome = run(
        tmp_path, plan(job("cp311-manylinux_x86_64"), job("cp312-manylinux_x86_64")), backend
    )
    assert [r.status for r in outcome.results.values()] == ["failed", "success"]
    (executor,) = backend.opened
    failed, succeeded = sorted(executor.workdirs)
    assert f"drop {succeeded}" in executor.events
    assert f"drop {failed}" not in executor.events
    assert executor.events[-1] == "close"
