"""A kept build environment's requirements (steps/build_env.py): resolved at the package
index, installed or synced into the environment, and recorded in it (ENV_RECORD: what it was
last synced with, and what ``uv pip freeze`` said right after), so that the next build finds it
as it was left or makes it again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidName, canonicalize_name
from packaging.version import InvalidVersion, Version

from manywheel.planning.build_system import BuildSystem
from manywheel.steps.context import JobContext

_LOCKED = "build-requirements.txt"  # in the job's work dir: the lock resolve writes
ENV_RECORD = "manywheel-env.json"  # written into an environment once made: what it was made for


@dataclass(frozen=True)
class Record:
    """What the environment was last synced with: the hook's requirements beyond
    ``[build-system]``, the lock, and what ``uv pip freeze`` said right after."""

    extra: list[str]
    lock: str
    frozen: str


def record_of(ctx: JobContext, env: PurePosixPath) -> Record | None:
    """The environment's record; None: not made yet."""
    try:
        data = json.loads(ctx.read_text(env / ENV_RECORD))
        extra = data["extra"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(extra, list):
        return None
    lock, frozen = data.get("lock"), data.get("frozen")
    return Record(
        [str(r) for r in extra],
        lock if isinstance(lock, str) else "",
        frozen if isinstance(frozen, str) else "",
    )


def _write_record(ctx: JobContext, env: PurePosixPath, record: Record) -> None:
    """The environment's record, as record_of reads it."""
    data = {"extra": record.extra, "lock": record.lock, "frozen": record.frozen}
    ctx.put_text(env / ENV_RECORD, json.dumps(data))


def freeze(ctx: JobContext, uv: str, python: PurePosixPath) -> str:
    """What the environment holds, as ``uv pip freeze`` says."""
    listed = ctx.workdir / "build-env-freeze.txt"
    script = '"$1" pip freeze --python "$2" > "$3"'
    ctx.run("build", ["sh", "-c", script, "sh", uv, str(python), str(listed)])
    return ctx.read_text(listed)


def build_constraints(ctx: JobContext) -> str:
    """The constraint files of the build requirements, for uv (space-separated, relative to
    the project copy): ``UV_BUILD_CONSTRAINT``; else the user's ``PIP_CONSTRAINT``, which pip's
    isolated builds obey (cibuildwheel's default frontend) and uv does not read."""
    return ctx.env.get("UV_BUILD_CONSTRAINT") or ctx.env.get("PIP_CONSTRAINT", "")


def _ask_index(
    ctx: JobContext, argv: Sequence[str], requires: Sequence[str], before: Sequence[str]
) -> None:
    """Run a uv command that resolves ``requires`` at the package index: ``argv``, the build
    constraints, ``before`` and the file of the requirements (the job's
    build-requirements.in), in one of the run's turns at the index."""
    wanted = ctx.workdir / "build-requirements.in"
    ctx.put_text(wanted, "".join(f"{line}\n" for line in requires))
    constraints = [f"--constraint={c}" for c in build_constraints(ctx).split()]
    with ctx.index_turn():  # in the project copy: the constraints' paths are the project's
        ctx.run("build", [*argv, *constraints, *before, str(wanted)], cwd=ctx.project)


def resolve(ctx: JobContext, uv: str, python: PurePosixPath, requires: Sequence[str]) -> str:
    """The lock ``requires`` resolve to for the environment's Python, now."""
    locked = ctx.workdir / _LOCKED
    # no header, no annotations: the lock names no path (it is compared with the last one)
    argv = [uv, "pip", "compile", "--quiet", "--no-header", "--no-annotate"]
    _ask_index(ctx, [*argv, "--python", str(python)], requires, ["--output-file", str(locked)])
    return ctx.read_text(locked)


def fill(ctx: JobContext, uv: str, env: PurePosixPath, system: BuildSystem) -> str:
    """A new environment made to hold the ``[build-system]`` requirements: resolved and
    installed by one ``uv pip install``, one pass at the package index instead of a lock's
    resolution and then its sync (at the start of a cold run every job asks at once: a cold
    four-wheel ujson build, 0.2 s less on average); what it then holds is its lock
    (same_pins), and recorded. A requirement given by URL or path is resolved and synced as
    before: how uv writes one in a lock and in what an environment holds may differ."""
    if any(_direct(line) for line in system.requires):
        return sync(ctx, uv, env, system, [])
    python = env / "bin" / "python"
    argv = [uv, "pip", "install", "--quiet", "--python", str(python)]
    _ask_index(ctx, argv, system.requires, ["--requirement"])
    frozen = freeze(ctx, uv, python)
    _write_record(ctx, env, Record([], frozen, frozen))
    return frozen


def _direct(requirement: str) -> bool:
    """Whether a requirement names a URL or path (PEP 508's ``name @ url``), or cannot be read."""
    try:
        return Requirement(requirement).url is not None
    except InvalidRequirement:
        return True


def same_pins(lock: str, other: str) -> bool:
    """Whether two of uv's lists of pins (``uv pip compile``'s lock, ``uv pip freeze``'s
    output) name the same versions: names compared as PyPA normalizes them (``Cython`` and
    ``cython``, ``setuptools_scm`` and ``setuptools-scm``), versions as versions; any other
    line (a URL, a path) as written."""
    return _pins(lock) == _pins(other)


def already_met(wanted: Sequence[str], frozen: str) -> bool:
    """Whether what the environment holds (``frozen``: ``uv pip freeze``'s pins) already meets
    every requirement the backend's hook asks for, so that an isolated build would install
    nothing more: pypa/build checks each one against what is installed and installs only the
    unmet (lz4's ``setup_requires`` repeats its ``[build-system]``: met by the fill). A
    requirement with an extra, a marker or a URL, or one that cannot be read, counts as unmet
    (the environment is synced with it, as before)."""
    held = {name: version for name, version in _pins(frozen) if version is not None}
    for line in wanted:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            return False
        if requirement.extras or requirement.marker is not None or requirement.url is not None:
            return False
        version = held.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            return False
    return True


def _pins(text: str) -> frozenset[tuple[str, Version | None]]:
    pins: set[tuple[str, Version | None]] = set()
    for raw in text.splitlines():
        line = raw.strip()
        name, _, version = line.partition("==")
        try:
            pins.add((canonicalize_name(name, validate=True), Version(version)))
        except (InvalidName, InvalidVersion):
            if line:
                pins.add((line, None))
    return frozenset(pins)


def sync(
    ctx: JobContext, uv: str, env: PurePosixPath, system: BuildSystem, extra: Sequence[str]
) -> str:
    """Resolve ``[build-system]`` and ``extra`` (what the hook asked for beyond it) for the
    environment's Python, make it hold exactly that, and record it: what ``uv pip freeze``
    then says."""
    python = env / "bin" / "python"
    lock = resolve(ctx, uv, python, [*system.requires, *extra])
    locked = ctx.workdir / _LOCKED
    with ctx.index_turn():
        ctx.run("build", [uv, "pip", "sync", "--quiet", "--python", str(python), str(locked)])
    frozen = freeze(ctx, uv, python)
    _write_record(ctx, env, Record(list(extra), lock, frozen))
    return frozen
