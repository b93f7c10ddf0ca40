"""Environment values that run a command go to a shell in the executor, in the job's project
copy, once the copy is there; the build sees what the shell made of them. The fake executor
stands in for the shell (tests/integration/test_native_build.py runs a real one)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from tests.fast.fakes import Call, FakeBackend, FakeExecutor, job, plan
from tests.fast.harness import run

IDENT = "cp312-manylinux_x86_64"


def fake_shell(status: int) -> FakeBackend:
    """A backend whose executors answer the environment's shell: $(pwd) is the command's
    working dir, and the value goes to the file named (or the shell exits ``status``)."""

    def on_run(executor: FakeExecutor, call: Call) -> int | None:
        if call.argv[:2] != ("sh", "-c") or "manywheel_value" not in call.argv[2]:
            return None
        if status:
            return status
        value, out = call.argv[4], PurePosixPath(call.argv[5])
        executor.files[out] = value.replace("$(pwd)", str(call.cwd)).encode()
        return 0

    def configure(executor: FakeExecutor) -> None:
        executor.on_run = on_run

    return FakeBackend(configure=configure)


def test_the_shell_runs_in_the_project_copy_with_the_earlier_variables(tmp_path: Path) -> None:
    backend = fake_shell(0)
    environment = (("A", "1"), ("TOOLS", "$(pwd)/tools"), ("B", "$TOOLS:$A"))
    outcome = run(tmp_path, plan(job(IDENT, environment=environment)), backend)
    assert outcome.results[IDENT].status == "success"
    (executor,) = backend.opened
    shells = [c for c in executor.calls if "manywheel_value" in c.text]
    assert len(shells) == 1  # once for the job, not per command
    project = shells[0].cwd
    assert project is not None
    assert project.name == "demo"  # the job's copy (prepare_source)
    assert shells[0].env["A"] == "1"
    build = next(c for c in executor.calls if c.argv[1:3] == ("build", "--wheel"))
    assert build.env["TOOLS"] == f"{project}/tools"
    assert build.env["B"] == f"{project}/tools:1"


def test_a_value_the_shell_cannot_evaluate_fails_the_job_naming_it(tmp_path: Path) -> None:
    environment = (("STAMP", "$(exit 3"),)
    outcome = run(tmp_path, plan(job(IDENT, environment=environment)), fake_shell(2))
    result = outcome.results[IDENT]
    assert result.status == "failed"
    assert result.failed_step == "environment"
    assert result.error == (
        "STAMP='$(exit 3' (environment or test-environment) could not be evaluated: the shell "
        "exited with status 2 (its words are in the log). Check the command in it."
    )
