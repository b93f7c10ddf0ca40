"""Test step: a fresh venv, the wheel installed, the test command run outside the source tree."""

from __future__ import annotations

import shlex
from pathlib import PurePosixPath

from manywheel.config.expansion import evaluate
from manywheel.errors import StepFailed
from manywheel.steps.context import JobContext
from manywheel.steps.gil import check_gil
from manywheel.steps.venv import make_venv, missing_pip_said, pip_install, runs_pip


def test_wheel(ctx: JobContext, wheel: PurePosixPath) -> None:
    options = ctx.job.options
    use_uv = ctx.executor.uv() is not None
    venv = ctx.workdir / "testenv"
    # a venv uv makes has no pip: given one when before-test or the test command runs pip, as
    # cibuildwheel's configurations do (its own test venv has pip)
    pip = runs_pip(options.before_test, options.test_command)
    python = make_venv(ctx, "test", venv, use_uv=use_uv, pip=pip)
    env = {
        "VIRTUAL_ENV": str(venv),
        "PATH": ctx.path_with(venv / "bin"),
        **evaluate(
            options.test_environment,
            {**ctx.executor.base_environment(), **ctx.env},
            ctx.shell_value,
        ),
    }
    # before the wheel and test-requires are installed, as in cibuildwheel (a before-test may
    # prepare what their install needs)
    pipless = use_uv and not pip
    if options.before_test:
        with missing_pip_said(pipless):
            ctx.shell(
                "test", ctx.fill(options.before_test, wheel=str(wheel)), cwd=ctx.project, env=env
            )
    target = str(wheel)
    if options.test_extras:
        target += "[" + ",".join(options.test_extras) + "]"
    # with the test's environment, as cibuildwheel installs them
    pip_install(ctx, "test", python, [target, *options.test_requires], use_uv=use_uv, env=env)
    test_cwd = ctx.workdir / "test-cwd"
    for source in options.test_sources:
        script = 'mkdir -p "$(dirname "$2")" && cp -a "$1" "$2"'
        src, dest = str(ctx.project / source), str(test_cwd / source)
        try:
            ctx.run("test", ["sh", "-c", script, "sh", src, dest])
        except StepFailed as exc:
            raise StepFailed(
                f"test-sources: cannot copy '{source}' from the project (see the log); "
                "test-sources are paths relative to the project directory",
                step="test",
                command=exc.command,
                returncode=exc.returncode,
            ) from None
    # the test runs in an empty directory outside the source tree (created in the same
    # process: each command in a container costs an exec round trip)
    cwd = shlex.quote(str(test_cwd))
    command = ctx.fill(options.test_command, wheel=str(wheel))
    with missing_pip_said(pipless):
        ctx.shell("test", f"mkdir -p {cwd} && cd {cwd} && {command}", cwd=ctx.workdir, env=env)
    check_gil(ctx, wheel, python)
