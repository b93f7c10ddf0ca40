"""The build step's kept build environment (caching/kept_envs.py), made ready for one build.

uv builds in it without isolation, so the environment must hold exactly what an isolated build
would install: the ``[build-system]`` requirements and whatever the backend's
``get_requires_for_build_wheel`` hook adds (scikit-build-core's cmake and ninja, an old
setuptools' wheel), resolved now (a new release is picked up as uv would pick it up) and
synced (nothing else stays: ``uv pip sync`` removes what a previous build left behind). The hook
is called through pyproject_hooks, in the environment's Python inside the executor.

A new environment is filled by one ``uv pip install`` of the ``[build-system]`` requirements
(one pass at the package index, where a resolution and a sync make two: env_requirements.py's
fill), and what it then holds is its lock.

The hook is not waited for: it runs in a copy of the project beside the build, which starts in
the environment as it was synced (with what the hook asked for last time, or nothing beyond
``[build-system]`` for setuptools' hooks, which ask for nothing unless ``setup_requires`` says
so). The wheel is kept only when the hook then agrees (or asks only for what the environment
already meets, as lz4's setup_requires repeats its [build-system]: an isolated build would
install nothing more); when it asks for something else, the environment is synced with that and
the wheel built again in the hook's copy, as if the hook had run first. pycryptodome's setup.py
tests its compiler for CPU features when it is loaded, in the hook as in the build: 4 s of one
core that now overlap. Beside a build that has one core too: the two processes' waits overlap (a
one-file edit of markupsafe, 4 wheels in two rounds of two on 2 cores: 3.4-3.6 s with the hook
first, 3.2-3.4 s beside). A new environment asks the hook first when the backend may ask for
anything (scikit-build-core: cmake, ninja), and when other jobs' builds wait for this one (it
fills the compiler cache for them, run/compile_order.py): they keep the cores busy, and the
hook's first run compiles the new environment's modules (setuptools, setuptools-scm) to
bytecode, which a build beside it would compile again at the same moment (0.25 s of a core each;
a cold four-wheel ujson build on 2 cores: 9.4-9.7 s against 9.8-10.0 s beside, runs alternated).
And the hook is not asked at all while what it read last time is as it was (hook_answers.py).

Nor is the resolution waited for, when the environment is as its last sync left it (``uv pip
freeze`` says what it said then): it is built in at once while ``uv pip compile`` asks the
package index again (0.1-0.4 s a job), and the wheel is kept only when the requirements resolve
to the lock it was synced with; otherwise it is synced with the new one and the wheel built
again in the hook's copy. The lock has no header and no annotations, which would name the
job's work dir.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pyproject_hooks import BackendUnavailable, BuildBackendHookCaller

from manywheel.config.parsers import settings_table
from manywheel.errors import StepFailed
from manywheel.planning.build_system import BuildSystem
from manywheel.steps.context import JobContext
from manywheel.steps.env_requirements import (
    already_met,
    fill,
    freeze,
    record_of,
    resolve,
    same_pins,
    sync,
)
from manywheel.steps.hook_answers import hook_key, known_answer, recording_argv
from manywheel.steps.hook_inputs import SETUPTOOLS_BACKENDS
from manywheel.steps.venv import make_venv


@dataclass(frozen=True)
class KeptEnv:
    """A kept build environment made ready: its Python, and what it holds beyond the
    ``[build-system]`` requirements (what the backend's hook asked for last time)."""

    path: PurePosixPath
    python: PurePosixPath
    extra: tuple[str, ...]
    made_now: bool
    # unchanged since it was synced with ``lock``, it is built in at once while the build
    # requirements are resolved again (``resolving``: the lock they resolve to now)
    lock: str = ""
    resolving: Future[str] | None = None
    frozen: str = ""  # what ``uv pip freeze`` said after its last sync: the hook's record's key
    # the hook's copy of the project, made while the environment was made ready (_hook_copy)
    copied: Future[PurePosixPath] | None = None

    def holds(self, wanted: Sequence[str]) -> bool:
        """Whether it holds what the hook asks for (``wanted``) beyond ``[build-system]``: it
        was synced with that, or, holding nothing beyond ``[build-system]``, what it holds
        already meets it (an isolated build would install nothing more)."""
        if sorted(wanted) == sorted(self.extra):
            return True
        return not self.extra and already_met(wanted, self.frozen)

    def resolves_the_same(self) -> bool:
        """Whether its requirements resolve to what it holds (waits for the resolution)."""
        return self.resolving is None or same_pins(self.resolving.result(), self.lock)


@contextmanager
def kept_build_env(ctx: JobContext, uv: str, *, wanted: bool = True) -> Iterator[KeptEnv | None]:
    """The job's kept build environment, synced with what it held (build_in_kept_env asks the
    backend's hook and builds), held until the block ends; None when the build should be
    isolated: not ``wanted``, the executor keeps none (no compiler cache), the build system is
    not known, a cross build, or another run holds it."""
    root = ctx.executor.build_envs()
    system = ctx.build_system
    if not wanted or root is None or system is None or ctx.build_env:
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
        resolve_log = ctx.log.with_name(f"{ctx.log.stem}.resolve.log")
        copy_log = ctx.log.with_name(f"{ctx.log.stem}.copy.log")
        try:
            resolving = ThreadPoolExecutor(1, thread_name_prefix="manywheel-resolve")
            copying = ThreadPoolExecutor(1, thread_name_prefix="manywheel-copy")
            with resolving as pool, copying as copier:
                quiet = dataclasses.replace(ctx, log=resolve_log)  # its lines after the build's

                def beside(uv: str, python: PurePosixPath, requires: Sequence[str]) -> Future[str]:
                    return pool.submit(resolve, quiet, uv, python, requires)

                # the hook will run beside the build, in a copy of its own: made meanwhile,
                # with a log of its own (its lines after the build's)
                copied = None
                if not ctx.turn.ahead() and not _asks_first(ctx, system, made_now=True):
                    copied = copier.submit(_hook_copy, dataclasses.replace(ctx, log=copy_log))
                kept = _synced(ctx, uv, root.inside / name, system, beside)
                yield dataclasses.replace(kept, copied=copied)
        finally:
            _append_log(ctx, copy_log, "the hook's copy of the project, made beside")
            _append_log(ctx, resolve_log, "the build requirements, resolved beside the build")


# starts resolve(uv, python, requires) beside the build, with a log of its own
_Resolving = Callable[[str, PurePosixPath, Sequence[str]], "Future[str]"]


def _synced(
    ctx: JobContext, uv: str, env: PurePosixPath, system: BuildSystem, beside: _Resolving
) -> KeptEnv:
    """The environment ready to build in: made and synced; or, as it was synced last (what
    ``uv pip freeze`` says is what it said then), resolved again beside the build."""
    python = env / "bin" / "python"
    record = record_of(ctx, env)
    if record is None:
        ctx.run("build", ["rm", "-rf", str(env)])  # left half-made by an interrupted run
        make_venv(ctx, "build", env, use_uv=True)
        frozen = fill(ctx, uv, env, system)
        return KeptEnv(env, python, (), made_now=True, frozen=frozen)
    extra = record.extra  # the hook's requirements last time: most likely again
    if record.lock and record.frozen == freeze(ctx, uv, python):
        resolving = beside(uv, python, [*system.requires, *extra])
        return KeptEnv(env, python, tuple(extra), False, record.lock, resolving, record.frozen)
    frozen = sync(ctx, uv, env, system, extra)
    return KeptEnv(env, python, tuple(extra), made_now=False, frozen=frozen)


def build_in_kept_env(
    ctx: JobContext, uv: str, kept: KeptEnv, build: Callable[[], None], out: PurePosixPath
) -> None:
    """Ask the backend's hook what it needs, sync the environment with that, and ``build``
    (which writes into ``out``): one after the other, or side by side when a core is free and
    the environment's guess is likely right (the module's docstring). The build takes its
    turn (ctx.turn) first; a build that would wait for it asks the hook before it waits."""
    system = ctx.build_system
    assert system is not None  # kept_build_env made no environment without one
    if ctx.turn.ahead():  # held for another job's build: resolved and the hook asked meanwhile
        kept = _settled(ctx, uv, kept, system)
        wanted = _asked(ctx, kept, system, ctx.project)
        _resync(ctx, uv, kept, system, wanted)
        ctx.turn.take(ctx)
        build()
        return
    ctx.turn.take(ctx)
    if _asks_first(ctx, system, made_now=kept.made_now):
        wanted = _hook_requires(ctx, kept, system, ctx.project)
        _resync(ctx, uv, kept, system, wanted)
        build()
        return
    # what the hook said last time, when all it read then is as it was (before the build
    # writes beside the project)
    known = _known(ctx, kept, system, ctx.project)
    copy = kept.copied.result() if kept.copied is not None else _hook_copy(ctx)
    hook_log = ctx.log.with_name(f"{ctx.log.stem}.hook.log")
    hook_ctx = dataclasses.replace(ctx, log=hook_log)  # its lines go after the build's
    failed: StepFailed | None = None
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="manywheel-hook") as pool:
            if known is None:
                asked = pool.submit(_hook_requires, hook_ctx, kept, system, copy)
            else:
                asked = Future()
                asked.set_result(known)
            try:
                build()
            except StepFailed as exc:  # maybe for want of what the hook asks for
                failed = exc
            wanted = asked.result()
    finally:
        _append_log(ctx, hook_log, "the backend's hook, beside the build")
    same = kept.resolves_the_same()
    if kept.holds(wanted) and same:
        if failed is not None:
            raise failed
        return
    if same:
        ctx.note(
            f"[manywheel] the backend asks for {sorted(wanted)} beyond [build-system], the "
            f"environment held {sorted(kept.extra)}: synced, and built again in the hook's copy"
        )
    else:
        ctx.note(
            "[manywheel] the build requirements resolve to other versions than the kept "
            "environment held: synced, the backend asked again, and built again in the "
            "hook's copy"
        )
    kept = _settled(ctx, uv, kept, system)
    if not same:  # the hook answered in the environment as it was: asked again in the new one
        wanted = _hook_requires(ctx, kept, system, copy)
    _resync(ctx, uv, kept, system, wanted)
    script = 'rm -rf "$1" "$3" && mv "$2" "$1"'
    ctx.run("build", ["sh", "-c", script, "sh", str(ctx.project), str(copy), str(out)])
    build()


def _asks_first(ctx: JobContext, system: BuildSystem, *, made_now: bool) -> bool:
    """Whether the hook is asked before the build, in a new environment: when there is no guess
    to build with, or when other jobs' builds wait for this one (the module's docstring: its
    modules compiled to bytecode once)."""
    return made_now and (system.backend not in SETUPTOOLS_BACKENDS or ctx.turn.awaited())


def _hook_copy(ctx: JobContext) -> PurePosixPath:
    """The hook's own copy of the project, as the build's is now (before-build has run): the two
    write beside the project (egg-info, build/) and must not see each other's files; a copy to
    build in again also when the hook is not asked, should the requirements resolve to others.
    Made before the build starts, while the environment is made ready when it can be."""
    copy = ctx.workdir / "hook-project" / ctx.project.name
    ctx.run(
        "build",
        ["sh", "-c", 'mkdir -p "$2" && cp -a "$1" "$2"', "sh", str(ctx.project), str(copy.parent)],
    )
    return copy


def _settled(ctx: JobContext, uv: str, kept: KeptEnv, system: BuildSystem) -> KeptEnv:
    """The environment once its requirements resolved: as it is when they resolve to what it
    holds, else synced with the new resolution."""
    if kept.resolves_the_same():
        return dataclasses.replace(kept, resolving=None)
    frozen = sync(ctx, uv, kept.path, system, kept.extra)
    return dataclasses.replace(kept, resolving=None, lock="", frozen=frozen)


def _resync(
    ctx: JobContext, uv: str, kept: KeptEnv, system: BuildSystem, wanted: Sequence[str]
) -> None:
    """Before a build that follows the hook (in an environment settled: no resolution
    running): the environment synced with what the hook asks for."""
    assert kept.resolving is None
    if not kept.holds(wanted):
        sync(ctx, uv, kept.path, system, wanted)


def _append_log(ctx: JobContext, part: Path, title: str) -> None:
    """The lines of what ran beside the build, written to a log of its own while the build
    wrote the job's, added after the build's."""
    try:
        text = part.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    with ctx.log.open("a", encoding="utf-8") as fh:
        fh.write(f"\n[manywheel] build: {title}:{text}")
    part.unlink(missing_ok=True)


def _warnings_to_log(ctx: JobContext, output: Path) -> None:
    """The backend's warnings, which pyproject_hooks would print on the run's output (Python's
    warnings, in the middle of the progress lines): into the job's log, with the build's own
    output, and out of the hook's answer."""
    try:
        data = json.loads(output.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # pyproject_hooks says what is wrong with it
    if not isinstance(data, dict) or not data.get("warnings"):
        return
    for w in data.pop("warnings"):
        if isinstance(w, dict):
            where = f"{w.get('filename')}:{w.get('lineno')}"
            ctx.note(f"[manywheel] build: the backend warned: {where}: {w.get('message')}")
    output.write_text(json.dumps(data), encoding="utf-8")


def _hook_env(ctx: JobContext, python: PurePosixPath) -> dict[str, str]:
    """What the hook's command is given on top of the job's environment (pyproject_hooks adds
    the backend's name and path)."""
    return {"PATH": ctx.path_with(python.parent, ctx.executor.tool_path())}


def _known(
    ctx: JobContext, kept: KeptEnv, system: BuildSystem, project: PurePosixPath
) -> list[str] | None:
    """The hook's answer kept with the environment, when what it read holds (hook_answers.py);
    None at once for an environment made in this job, which keeps none (no Python started to
    check)."""
    if kept.made_now:
        return None
    key = hook_key(ctx, system, kept.frozen)
    env = _hook_env(ctx, kept.python)
    return known_answer(ctx, kept.python, kept.path, key, project, env)


def _asked(
    ctx: JobContext, kept: KeptEnv, system: BuildSystem, project: PurePosixPath
) -> list[str]:
    """The hook's answer: as kept, or asked now."""
    known = _known(ctx, kept, system, project)
    return _hook_requires(ctx, kept, system, project) if known is None else known


def _hook_requires(
    ctx: JobContext, kept: KeptEnv, system: BuildSystem, project: PurePosixPath
) -> list[str]:
    """What the backend's get_requires_for_build_wheel hook asks for, called through
    pyproject_hooks in the environment's Python, in ``project`` (a copy of the project), with
    what it read recorded and kept with its answer in the environment (hook_answers.py)."""
    control = ctx.workdir / "hook"
    python = kept.python
    key = hook_key(ctx, system, kept.frozen)

    def runner(
        cmd: Sequence[str], cwd: str | None = None, extra_environ: Mapping[str, str] | None = None
    ) -> None:
        interpreter, script, hook, host_dir = cmd
        ctx.executor.put_file(Path(script), control / "_in_process.py")
        ctx.executor.put_file(Path(host_dir) / "input.json", control / "input.json")
        recording = recording_argv(ctx, kept.path, key, project, control)
        argv = [interpreter, *recording, str(control / "_in_process.py"), hook, str(control)]
        env = {**_hook_env(ctx, python), **(extra_environ or {})}
        with ctx.advised():  # setup.py runs here first: psycopg2's pg_config
            ctx.run("build", argv, cwd=project, env=env)
        output = Path(host_dir) / "output.json"
        ctx.executor.copy_out(control / "output.json", output)
        _warnings_to_log(ctx, output)

    settings = settings_table([*ctx.job.options.config_settings, *ctx.build_settings]) or None
    try:
        caller = BuildBackendHookCaller(
            str(project),
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
