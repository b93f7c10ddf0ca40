"""The build step's kept build environment (caching/kept_envs.py), made ready for one build.

uv builds in it without isolation, so the environment must hold exactly what an isolated build
would install: the ``[build-system]`` requirements and whatever the backend's
``get_requires_for_build_wheel`` hook adds (scikit-build-core's cmake and ninja, an old
setuptools' wheel), resolved now (a new release is picked up as uv would pick it up) and
synced (nothing else stays: ``uv pip sync`` removes what a previous build left behind). The hook
is called through pyproject_hooks, in the environment's Python inside the executor.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from pyproject_hooks import BackendUnavailable, BuildBackendHookCaller

from manywheel.errors import StepFailed
from manywheel.planning.build_system import BuildSystem
from manywheel.steps.context import JobContext
from manywheel.steps.venv import make_venv

_READY = "manywheel-env.json"  # written into an environment once made: what it was made for


@contextmanager
def kept_build_env(ctx: JobContext, uv: str) -> Iterator[PurePosixPath | None]:
    """The Python of the job's kept build environment, ready for a build without isolation, held
    until the block ends; None when the build should be isolated: the executor keeps none (no
    compiler cache), the build system is not known, a cross build, or another run holds it."""
    root = ctx.executor.build_envs()
    system = ctx.build_system
    if root is None or system is None or ctx.build_env:
        yield None
        return
    name = root.name(ctx.job.name, ctx.job.python, system.requires, system.backend)
    with root.lock(name) as held:
        if not held:
            said = (
                f"the kept build environment {name} is in use by another run: this build "
                "installs its requirements into an isolated environment (no direct-mode hits)"
            )
            ctx.note(f"[manywheel] {said}")
            ctx.announce(said)
            yield None
            return
        yield _ready(ctx, uv, root.inside / name, system)


def _ready(ctx: JobContext, uv: str, env: PurePosixPath, system: BuildSystem) -> PurePosixPath:
    python = env / "bin" / "python"
    made = _made_for(ctx, env)
    if made is None:
        ctx.run("build", ["rm", "-rf", str(env)])  # left half-made by an interrupted run
        make_venv(ctx, "build", env, use_uv=True)
    extra = list(made or ())  # the hook's requirements last time: most likely again
    _sync(ctx, uv, python, [*system.requires, *extra])
    if made is None:  # made now: whatever the hook says next, it need not be made again
        ctx.put_text(env / _READY, json.dumps({"extra": extra}))
    wanted = _hook_requires(ctx, python, system)
    if sorted(wanted) != sorted(extra):
        _sync(ctx, uv, python, [*system.requires, *wanted])
        ctx.put_text(env / _READY, json.dumps({"extra": wanted}))
    return python


def _made_for(ctx: JobContext, env: PurePosixPath) -> list[str] | None:
    """The hook's requirements the environment was last synced with; None: not made yet."""
    try:
        extra = json.loads(ctx.read_text(env / _READY))["extra"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return [str(r) for r in extra] if isinstance(extra, list) else None


def _sync(ctx: JobContext, uv: str, python: PurePosixPath, requires: Sequence[str]) -> None:
    """Resolve ``requires`` for the environment's Python, and make it hold exactly that."""
    wanted = ctx.workdir / "build-requirements.in"
    locked = ctx.workdir / "build-requirements.txt"
    ctx.put_text(wanted, "".join(f"{line}\n" for line in requires))
    constraints = [f"--constraint={c}" for c in ctx.env.get("UV_BUILD_CONSTRAINT", "").split()]
    compile_argv = [uv, "pip", "compile", "--quiet", "--python", str(python), *constraints]
    ctx.run("build", [*compile_argv, "--output-file", str(locked), str(wanted)])
    ctx.run("build", [uv, "pip", "sync", "--quiet", "--python", str(python), str(locked)])


def _hook_requires(ctx: JobContext, python: PurePosixPath, system: BuildSystem) -> list[str]:
    """What the backend's get_requires_for_build_wheel hook asks for, called through
    pyproject_hooks in the environment's Python, in the job's copy of the project."""
    control = ctx.workdir / "hook"

    def runner(
        cmd: Sequence[str], cwd: str | None = None, extra_environ: Mapping[str, str] | None = None
    ) -> None:
        interpreter, script, hook, host_dir = cmd
        ctx.executor.put_file(Path(script), control / "_in_process.py")
        ctx.executor.put_file(Path(host_dir) / "input.json", control / "input.json")
        argv = [interpreter, str(control / "_in_process.py"), hook, str(control)]
        path = ctx.path_with(python.parent, ctx.executor.tool_path())
        ctx.run("build", argv, cwd=ctx.project, env={"PATH": path, **(extra_environ or {})})
        ctx.executor.copy_out(control / "output.json", Path(host_dir) / "output.json")

    settings = dict([*ctx.job.options.config_settings, *ctx.build_settings]) or None
    try:
        caller = BuildBackendHookCaller(
            str(ctx.project),
            system.backend,
            list(system.backend_path) or None,
            runner=runner,
            python_executable=str(python),
        )
        return [str(r) for r in caller.get_requires_for_build_wheel(settings)]
    except BackendUnavailable as exc:
        ctx.note(exc.traceback)
        why = str(exc).split("\n\n", 1)[0]
        raise StepFailed(
            f"the build backend '{system.backend}' cannot be imported in the build "
            f"environment ({why}). Check [build-system] in pyproject.toml: 'requires' must "
            "name the package that provides 'build-backend'.",
            step="build",
            command="get_requires_for_build_wheel",
            returncode=1,
        ) from None
    except ValueError as exc:  # a backend-path outside the project
        raise StepFailed(
            f"pyproject.toml's [build-system] backend-path is not usable: {exc}. Name "
            "directories inside the project, relative to it.",
            step="build",
            command="get_requires_for_build_wheel",
            returncode=1,
        ) from None
