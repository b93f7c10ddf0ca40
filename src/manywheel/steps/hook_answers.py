"""The backend's ``get_requires_for_build_wheel`` answers, kept with the kept build environment
they were given in, and given again without asking the hook when what it read is as it was.

Asking costs a Python start, the backend's import and, for setuptools, ``setup.py`` up to its
``setup()`` (hook_inputs.answer_before_egg_info; a whole ``egg_info`` before: 0.6 s of a core
per markupsafe build, a seventh of a one-file edit's rebuild). The hook runs
under steps/hook_inputs.py, which records the files it read, the directories it listed, the
paths it looked for, its environment and the interpreter, and keeps them with its answer in
the environment (RECORD). Before the next build the same script checks each of them in the
job's project; the answer is used only when all hold and the record's key is this one: the
backend and its path, the config settings, the environment's ``uv pip freeze``, and the
digests of both scripts that run the hook. A hook that ran another program, opened a socket,
loaded a C library by hand or removed a file it did not make is asked every time, as is one
seen reading no file of the project, and every hook under Python 3.7 (no audit hooks) or PyPy
(its events not relied on). When unsure, it is asked.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path, PurePosixPath

import pyproject_hooks

from manywheel.config.parsers import settings_table
from manywheel.errors import StepFailed
from manywheel.planning.build_system import BuildSystem
from manywheel.steps import hook_inputs
from manywheel.steps.context import JobContext

RECORD = "manywheel-hook.json"  # in the kept environment
_DIR = "hook-inputs"  # in the job's work dir: the script and its settings
FORMAT = 1  # bumped when the record's meaning changes


@cache
def _scripts() -> tuple[str, str]:
    """The recording script's text, and the digest of it and pyproject_hooks' own script."""
    text = Path(hook_inputs.__file__).read_text(encoding="utf-8")
    in_process = Path(pyproject_hooks.__file__).parent / "_in_process" / "_in_process.py"
    digest = hashlib.sha256(text.encode() + in_process.read_bytes()).hexdigest()
    return text, digest


def hook_key(ctx: JobContext, system: BuildSystem, frozen: str) -> str:
    """What the hook's answer depends on besides what it reads (hook_inputs.py records that),
    as a digest: the config settings may hold what must not be written down."""
    settings = settings_table([*ctx.job.options.config_settings, *ctx.build_settings])
    key = {
        "format": FORMAT,
        "scripts": _scripts()[1],
        "backend": system.backend,
        "backend_path": list(system.backend_path),
        "settings": settings,
        "frozen": frozen,
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _put(
    ctx: JobContext, mode: str, env: PurePosixPath, key: str, project: PurePosixPath, **more: object
) -> list[str]:
    """The script and its settings for ``mode`` (record, verify) in the job's work dir, the
    settings both modes share (the project, the run's dirs, the key, the record in ``env``)
    and ``more``: the script's arguments."""
    directory = ctx.workdir / _DIR
    script = directory / "hook_inputs.py"
    ctx.put_text(script, _scripts()[0])
    settings = {
        "root": str(project),
        "work": [str(ctx.workdir), str(ctx.workdir.parent)],
        "key": key,
        "store": str(env / RECORD),
        **more,
    }
    path = directory / f"{mode}.json"
    ctx.put_text(path, json.dumps(settings))
    return [str(script), mode, str(path)]


def recording_argv(
    ctx: JobContext,
    env: PurePosixPath,
    key: str,
    project: PurePosixPath,
    control: PurePosixPath,
) -> list[str]:
    """The arguments before pyproject_hooks' script, its hook and control dir: the hook runs
    under the recording script, which keeps its answer in ``env`` (the kept environment)."""
    return _put(ctx, "record", env, key, project, skip=[str(control), str(ctx.workdir / _DIR)])


def known_answer(  # noqa: PLR0917 -- each is a path or value of its own
    ctx: JobContext,
    python: PurePosixPath,
    env: PurePosixPath,
    key: str,
    project: PurePosixPath,
    hook_env: dict[str, str],
) -> list[str] | None:
    """The recorded answer when everything the hook read holds in ``project`` (checked in the
    environment ``hook_env`` the hook would run in); None: the hook must be asked."""
    result = ctx.workdir / _DIR / "verified.json"
    argv = _put(ctx, "verify", env, key, project, result=str(result))
    try:
        ctx.run("build", [str(python), *argv], cwd=project, env=hook_env)
        said = json.loads(ctx.read_text(result))
    except (StepFailed, OSError, ValueError) as exc:  # a miss, never the job's failure
        ctx.note(f"[manywheel] build: the backend's hook is asked (its record not checked: {exc})")
        return None
    if not isinstance(said, dict):
        return None
    answer = said.get("answer")
    if said.get("refused"):
        why = f"the backend's hook is asked before every build: {said['refused']}"
        ctx.note(f"[manywheel] build: {why}")
        ctx.announce(why)
        return None
    if not said.get("holds") or not isinstance(answer, list):
        ctx.note(f"[manywheel] build: the backend's hook is asked: {said.get('why')}")
        return None
    ctx.note(
        f"[manywheel] build: the backend's hook is not asked again: what it read last time "
        f"({said.get('why')}) is as it was; its answer was {answer!r}"
    )
    return [str(a) for a in answer]
