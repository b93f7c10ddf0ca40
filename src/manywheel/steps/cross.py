"""A cross build's two sides (backends/cross.py): the build runs on the host in a CPython of
the target's version told about the target, the test runs where the target's CPython is."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath

from manywheel.backends.base import SplitExecutor
from manywheel.plan import Job
from manywheel.steps.context import JobContext
from manywheel.steps.test import test_wheel


def prepare_cross_build(ctx: JobContext, split: SplitExecutor) -> Job:
    """Point ``ctx`` at the build side's interpreter and the target's facts; return the job
    as planned (its interpreter is the target's, for the test)."""
    planned = ctx.job
    ctx.job = split.build_job(planned)
    pythonpath = ctx.env.get("PYTHONPATH") or ctx.executor.base_environment().get("PYTHONPATH", "")
    ctx.build_env = split.build_environment(planned, pythonpath)
    ctx.note(
        f"[manywheel] cross build for {planned.identifier.arch}: the build backend runs in "
        f"{ctx.job.python}, told about the target's {planned.python} (its sysconfig and "
        f"headers, from {planned.image})"
    )
    return planned


def test_on_target(
    ctx: JobContext, split: SplitExecutor, planned: Job, wheel: PurePosixPath
) -> bool:
    """Move the repaired wheel to the test side and test it there; False (with a note in the
    log) when there is no test side."""
    tester = split.tester
    if tester is None:
        ctx.note(f"[manywheel] test skipped: {split.no_test_reason()}")
        return False
    workdir = tester.make_workdir(planned.name)
    moved = workdir / "wheel" / wheel.name
    with tempfile.TemporaryDirectory(prefix="manywheel-cross-") as tmp:
        local = Path(tmp) / wheel.name
        ctx.executor.copy_out(wheel, local)
        tester.put_file(local, moved)
    test_ctx = JobContext(planned, tester, ctx.log, workdir, ctx.cancel_event, ctx.on_step)
    test_ctx.project = tester.prepare_source(workdir / "src")
    test_wheel(test_ctx, moved)
    return True
