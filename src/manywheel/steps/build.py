"""Build step: the project's wheel via PEP 517, with uv, build, build[uv] or pip."""

from __future__ import annotations

import functools
from pathlib import PurePosixPath

from manywheel.diagnose.compile_errors import left_out
from manywheel.errors import StepFailed
from manywheel.steps.build_env import build_in_kept_env, kept_build_env
from manywheel.steps.ccache_stats_log import ccache_stats_log
from manywheel.steps.context import JobContext
from manywheel.steps.env_requirements import build_constraints
from manywheel.steps.parallel_build import parallel_build_env
from manywheel.steps.venv import make_venv, missing_pip_said, pip_install, runs_pip
from manywheel.steps.wheel_tags import expected_tags, shown_tags


def frontend_for(ctx: JobContext) -> str:
    wanted = ctx.job.options.build_frontend.name
    if ctx.build_env and ctx.executor.uv():
        # a cross build's variables must reach the backend, not the frontend's installers:
        # uv build runs its installs in processes of its own (see toolchains/target.py)
        return "uv"
    if wanted == "default":
        return "uv" if ctx.executor.uv() else "build"
    return wanted


def _verbosity_flags(level: int) -> list[str]:
    if level > 0:
        return ["-" + "v" * level]
    if level < 0:
        return ["-" + "q" * -level]
    return []


def before_build(ctx: JobContext, venv_bin: PurePosixPath, *, pipless: bool = False) -> None:
    command = ctx.job.options.before_build
    if command:
        filled = ctx.fill(command)
        env = {"PATH": ctx.path_with(venv_bin)}
        with missing_pip_said(pipless):
            ctx.shell("before-build", filled, cwd=ctx.project, env=env)


def build_wheel(ctx: JobContext) -> PurePosixPath:
    """Build into <workdir>/built and return the one wheel produced."""
    options = ctx.job.options
    frontend = frontend_for(ctx)
    venv = ctx.workdir / "buildenv"
    use_uv = frontend in ("build[uv]", "uv")
    uv = ctx.executor.uv()
    # the build venv: where before-build runs (as cibuildwheel's does) and what builds; a
    # build in a kept environment without before-build does not need it
    extra = options.build_frontend.args  # the user's, for the frontend's command
    lazy = frontend == "uv" and uv is not None and not options.before_build
    if not lazy:  # before-build may compile too: the turn comes first
        ctx.turn.take(ctx)
    # with pip when before-build runs it (a venv uv makes has none; cibuildwheel's has)
    pip = runs_pip(options.before_build)
    python = None if lazy else make_venv(ctx, "build", venv, use_uv=use_uv, pip=pip)
    before_build(ctx, venv / "bin", pipless=bool(use_uv and uv) and not pip)
    out = ctx.workdir / "built"
    verbosity = _verbosity_flags(options.build_verbosity)
    config_settings = [*options.config_settings, *ctx.build_settings]
    if frontend == "uv" and uv:
        if "UV_BUILD_CONSTRAINT" not in ctx.env and ctx.env.get("PIP_CONSTRAINT"):
            ctx.note(
                f"[manywheel] build: PIP_CONSTRAINT ({ctx.env['PIP_CONSTRAINT']}) constrains the "
                "build requirements, as in pip's isolated builds (uv reads UV_BUILD_CONSTRAINT)"
            )
        # arguments the user gives uv build (--no-build-isolation: before-build's venv) are
        # for the job's own environment
        with kept_build_env(ctx, uv, wanted=not extra) as kept:
            settings = [f"--config-setting={k}={v}" for k, v in config_settings]
            # in the kept environment, made ready: its path, on the compile line, is the same
            # in every run (caching/kept_envs.py)
            isolation = ["--no-build-isolation"] if kept else []
            if kept:
                builder = kept.python
            else:
                ctx.turn.take(ctx)
                builder = python or make_venv(ctx, "build", venv, use_uv=use_uv)
            argv = [uv, "build", "--wheel", "--out-dir", str(out), "--python", str(builder)]
            argv += [*isolation, *settings, *verbosity, *extra, str(ctx.project)]
            if kept is None:
                _run_build(ctx, argv, _build_env(ctx, venv, uv=True))
            else:  # its scripts (cython, cmake, ninja) first, as an isolated build's are
                env = functools.cache(lambda: _build_env(ctx, venv, kept.python.parent, uv=True))
                build_in_kept_env(ctx, uv, kept, lambda: _run_build(ctx, argv, env()), out)
        return the_built_wheel(ctx, out, " ".join(argv))
    python = python or make_venv(ctx, "build", venv, use_uv=use_uv)  # made above: not lazy
    if frontend == "pip":
        settings = [f"--config-settings={k}={v}" for k, v in config_settings]
        argv = [
            str(python),
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--wheel-dir",
            str(out),
            *settings,
            *verbosity,
            *extra,
            str(ctx.project),
        ]
    else:
        pip_install(ctx, "build", python, ["build"], use_uv=use_uv)
        settings = [f"-C{k}={v}" for k, v in config_settings]
        installer = ["--installer", "uv"] if use_uv else []
        argv = [
            str(python),
            "-m",
            "build",
            "--wheel",
            "--outdir",
            str(out),
            *installer,
            *settings,
            *verbosity,
            *extra,
            str(ctx.project),
        ]
    _run_build(ctx, argv, _build_env(ctx, venv))
    return the_built_wheel(ctx, out, " ".join(argv))


def _build_env(
    ctx: JobContext, venv: PurePosixPath, *first: PurePosixPath, uv: bool = False
) -> dict[str, str]:
    """The build command's variables, once it has its turn (its cores): ``first`` on PATH
    before the build venv and the tools; ``uv``: uv builds, which keeps the PYTHONPATH that
    brings the setuptools plugin (build and pip empty it in their isolated environments)."""
    constraints = build_constraints(ctx) if uv else ""
    return {
        "PATH": ctx.path_with(*first, venv / "bin", ctx.executor.tool_path()),
        **ctx.build_env,
        # the build command's only: before-build's as it was
        **parallel_build_env(ctx, with_plugin=uv),
        # an isolated uv build obeys the user's PIP_CONSTRAINT, as pip's would
        **({"UV_BUILD_CONSTRAINT": constraints} if constraints else {}),
    }


def _run_build(ctx: JobContext, argv: list[str], env: dict[str, str]) -> None:
    """The build command, with ccache's per-compile log around it (steps/ccache_stats_log.py);
    its failure says which system package has a header or library the build did not find."""
    with ctx.advised(), ccache_stats_log(ctx) as stats_env:
        ctx.run("build", argv, cwd=ctx.project, env={**env, **stats_env})


def the_built_wheel(ctx: JobContext, out: PurePosixPath, command: str) -> PurePosixPath:
    """The one wheel in ``out``, checked to be for this job's interpreter: a frontend that
    succeeded may still have left nothing, several wheels, or a wheel of another Python."""
    wheels = ctx.executor.list_files(out, ".whl")
    job = ctx.job
    expected = expected_tags(job)
    wanted = (
        f"a wheel for {job.name} ({job.identifier.describe()}, {job.python}) tagged "
        f"{expected.shown}"
    )
    if not wheels:
        raise _failed(
            f"the build frontend succeeded but left no wheel in {out}; expected {wanted}. The "
            "project's build backend wrote its wheel elsewhere or not at all: its build_wheel "
            "hook must write the wheel into the directory it is given (see the build log).",
            command,
        )
    if len(wheels) != 1:
        names = ", ".join(w.name for w in wheels)
        raise _failed(
            f"build produced {len(wheels)} wheels in {out} ({names}), expected exactly one: "
            f"{wanted}.",
            command,
        )
    wheel = wheels[0]
    if wheel.name.endswith("-none-any.whl"):
        options = ctx.job.options
        why = left_out(ctx.log, native=ctx.on_host, system_packages=options.system_packages)
        if why.errors:  # a compile failed, and the build went on without the extension
            raise _failed(
                f"build produced a pure-Python wheel ({wheel.name}): the build left the "
                "project's extension out. Some projects build a wheel without their extension "
                f"when it does not compile.{why}",
                command,
            )
        raise _failed(
            f"build produced a pure-Python wheel ({wheel.name}); manywheel builds "
            "platform wheels for projects with compiled extensions. Build pure wheels "
            "once with 'python -m build' instead.",
            command,
        )
    if not expected.accepts(wheel.name):
        raise _failed(
            f"build produced {wheel.name}, a wheel tagged {shown_tags(wheel.name)}, but this "
            f"job expects {wanted}: the wheel is for another interpreter. Check that the "
            "project's build names its tags from the Python that runs it (no hard-coded "
            "python-tag or py-limited-api for another version, no other PYTHON, a custom "
            "backend that asks the running interpreter).",
            command,
        )
    return wheel


def _failed(message: str, command: str) -> StepFailed:
    return StepFailed(message, step="build", command=command, returncode=0)
