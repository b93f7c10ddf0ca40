"""One job, written once for every executor: source copy, build, repair, test, output."""

from __future__ import annotations

from manywheel.errors import Cancelled, ManywheelError, StepFailed
from manywheel.results import JobResult
from manywheel.steps.build import build_wheel
from manywheel.steps.context import JobContext
from manywheel.steps.repair import repair_wheel
from manywheel.steps.test import test_wheel
from manywheel.wheelhouse import Wheelhouse


def run_job(ctx: JobContext, wheelhouse: Wheelhouse, result: JobResult) -> None:
    """Run every step of ctx.job, filling ``result``; never raises for a job failure."""
    step = "prepare"
    try:
        with ctx.timed("prepare"):
            ctx.project = ctx.executor.prepare_source(ctx.workdir / "src")
        step = "build"
        with ctx.timed("build"):
            built = build_wheel(ctx)
        step = "repair"
        with ctx.timed("repair"):
            repaired = repair_wheel(ctx, built)
        if ctx.job.run_tests:
            step = "test"
            with ctx.timed("test"):
                test_wheel(ctx, repaired)
            result.tested = True
        ctx.check_cancelled()
        result.wheel = wheelhouse.add(ctx.executor, repaired)
        result.status = "success"
    except Cancelled:
        result.status = "cancelled"
        result.failed_step = step
    except StepFailed as exc:
        result.status = "failed"
        result.failed_step = exc.step
        result.failed_command = exc.command
        result.error = exc.message
    except ManywheelError as exc:
        result.status = "failed"
        result.failed_step = step
        result.error = exc.message
    except OSError as exc:
        result.status = "failed"
        result.failed_step = step
        result.error = f"{step} failed: {exc}"
        ctx.note(f"[manywheel] {result.error}")
    finally:
        result.timings = dict(ctx.timings)
