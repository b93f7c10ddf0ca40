"""Virtual environments for building and testing, with uv when it is there, else venv+pip."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

from manywheel.steps.context import JobContext


def make_venv(ctx: JobContext, step: str, path: PurePosixPath, *, use_uv: bool) -> PurePosixPath:
    """Create a venv from the job's interpreter; return its python."""
    uv = ctx.executor.uv()
    if use_uv and uv:
        ctx.run(step, [uv, "venv", "--quiet", "--python", ctx.job.python, str(path)])
    else:
        ctx.run(step, [ctx.job.python, "-m", "venv", str(path)])
    return path / "bin" / "python"


def pip_install(
    ctx: JobContext, step: str, python: PurePosixPath, requirements: Sequence[str], *, use_uv: bool
) -> None:
    if not requirements:
        return
    uv = ctx.executor.uv()
    if use_uv and uv:
        argv = [uv, "pip", "install", "--quiet", "--python", str(python), *requirements]
    else:
        argv = [str(python), "-m", "pip", "install", "--quiet", *requirements]
    ctx.run(step, argv)
