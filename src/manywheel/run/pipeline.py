"""One job, written once for every executor: source copy, build, repair, test, output."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

from manywheel.backends.base import SplitExecutor
from manywheel.caching.build_inputs import record
from manywheel.caching.manifest import Manifest
from manywheel.caching.wheel_cache import CacheKeys, WheelCache
from manywheel.errors import Cancelled, ManywheelError, StepFailed
from manywheel.planning.plan import Job
from manywheel.run.abi3_reuse import EarlyTest, Offered, Reusable, serves
from manywheel.run.results import JobResult
from manywheel.run.wheelhouse import AlreadyDelivered, Delivered, Wheelhouse
from manywheel.steps.audit import audit_venv_beside, audit_wheel
from manywheel.steps.build import build_wheel
from manywheel.steps.context import JobContext
from manywheel.steps.cross_build import prepare_cross_build, test_on_target
from manywheel.steps.repair import repair_wheel
from manywheel.steps.test import test_wheel


@dataclass(frozen=True)
class JobCache:
    cache: WheelCache
    keys: CacheKeys


def restore_from_cache(
    job: Job, cache: JobCache, wheelhouse: Wheelhouse, result: JobResult
) -> bool:
    """Deliver a cached wheel that needs no more work (tested, or no test asked for)."""
    entry = cache.cache.lookup(cache.keys)
    if entry is None or not (entry.tested or not job.run_tests):
        return False
    try:
        result.wheel = wheelhouse.add_file(entry.wheel, job.name)
    except FileNotFoundError:  # pruned by a concurrent `manywheel cache prune`: rebuild
        return False
    except AlreadyDelivered:  # another job's abi3 wheel is out: run_job tests that one
        return False
    result.cached, result.tested, result.status = True, entry.tested, "success"
    result.warnings.extend(entry.warnings)
    if result.log is not None:
        with result.log.open("a", encoding="utf-8") as fh:
            fh.write(f"[manywheel] restored {entry.wheel.name} from the build cache\n")
    return True


# waits for a compatible abi3 wheel (abi3_reuse.py), testing an offered one meanwhile
FindReusable = Callable[["EarlyTest | None"], "Reusable | None"]
Offer = Callable[[PurePosixPath], None]
# entered around the build step: gives ctx its turn (steps/context.py BuildTurn, job_runner.py)
TurnScope = Callable[[JobContext], AbstractContextManager[None]]


def _no_turn(ctx: JobContext) -> AbstractContextManager[None]:
    return nullcontext()


def run_job(
    ctx: JobContext,
    wheelhouse: Wheelhouse,
    result: JobResult,
    cache: JobCache | None = None,
    reusable: FindReusable | None = None,
    *,
    build_turn: TurnScope = _no_turn,
    offer: Offer | None = None,
) -> None:
    """Run every step of ctx.job, filling ``result``; never raises for a job failure.

    ``reusable`` finds a compatible abi3 wheel an earlier job built (abi3_reuse.py): then the job
    only tests it; ``offer`` offers the job's own repaired wheel to the jobs waiting for it.
    ``build_turn`` is entered around the build step, which takes the turn it gives before it
    compiles (its wait is not timed)."""
    progress = ["prepare"]  # the step in progress, for failures outside a command
    try:
        _run_steps(
            ctx,
            wheelhouse,
            result,
            cache=cache,
            reusable=reusable,
            build_turn=build_turn,
            offer=offer,
            progress=progress,
        )
    except Cancelled:
        result.status, result.failed_step = "cancelled", progress[-1]
    except StepFailed as exc:
        result.status, result.failed_step = "failed", exc.step
        result.failed_command, result.error = exc.command, exc.message
        if exc.log is not None and exc.log == result.log:  # not a hook's own log
            result.log_end = exc.log_end
    except ManywheelError as exc:
        result.status, result.failed_step, result.error = "failed", progress[-1], exc.message
    except OSError as exc:
        result.status, result.failed_step = "failed", progress[-1]
        result.error = f"{progress[-1]} failed: {exc}"
        ctx.note(f"[manywheel] {result.error}")
    finally:
        result.timings = dict(ctx.timings)
        result.compiler_stats = ctx.compiler_stats
        result.warnings.extend(ctx.warnings)


def _run_steps(
    ctx: JobContext,
    wheelhouse: Wheelhouse,
    result: JobResult,
    *,
    cache: JobCache | None,
    reusable: FindReusable | None,
    build_turn: TurnScope,
    offer: Offer | None,
    progress: list[str],
) -> None:
    # a full hit was restored before the executor opened (restore_from_cache); an entry
    # here was built before but not tested with this test configuration
    entry = cache.cache.lookup(cache.keys) if cache else None
    split = ctx.executor if isinstance(ctx.executor, SplitExecutor) else None
    planned = ctx.job  # a cross build's build side runs it with a host interpreter (_build)
    with ctx.timed("prepare"):  # before waiting for an abi3 wheel: copied meanwhile
        ctx.project = ctx.executor.prepare_source(ctx.workdir / "src")
    reused, early_one = None, None
    if reusable is not None and entry is None:
        early = split is None and ctx.job.run_tests
        reused, early_one = _find_reusable(ctx, result, reusable, early, progress)
    if entry is not None:  # built before, but not tested with this test configuration
        repaired = ctx.workdir / "cached" / entry.wheel.name
        ctx.executor.put_file(entry.wheel, repaired)
        result.cached = True
    elif reused is not None:  # cibuildwheel's words, so that logs read the same
        ctx.note(
            f"[manywheel] Found previously built wheel {reused.wheel.name}, that's compatible "
            f"with {ctx.job.name}. Skipping build step..."
        )
        # tested early: reused_from names its job already (_find_reusable)
        repaired = _take(ctx, result, reused, "reused") if early_one is None else early_one
    else:
        repaired, planned = _build(ctx, split, build_turn, progress)
        if offer is not None:  # to the jobs waiting to reuse it, if abi3: they test it now
            offer(repaired)
    earlier = wheelhouse.delivered_abi3(repaired.name) if reused is None else None
    if earlier is not None and serves(earlier.wheel.name, ctx.job):  # out already: test it
        reused = _adopt(ctx, result, earlier)
        repaired = _take(ctx, result, reused, "delivered")
    test = partial(_test, ctx, result, split=split, planned=planned, progress=progress)
    if early_one is None:
        test(repaired)
    ctx.check_cancelled()
    if reused is None:
        try:
            wheel = wheelhouse.add(ctx.executor, repaired, ctx.job.name)
        except AlreadyDelivered as exc:  # delivered while this job tested its own
            if not serves(exc.earlier.wheel.name, ctx.job):
                raise wheelhouse.collision(repaired.name, ctx.job.name, exc.earlier) from None
            reused = _adopt(ctx, result, exc.earlier)
            test(_take(ctx, result, reused, "delivered"))
    if reused is not None:  # already in the output dir: the same file, delivered once
        wheel = reused.wheel
    result.wheel, result.status = wheel, "success"
    if cache is not None and entry is None:
        same = reused.cached if reused else None  # stored once: linked, not copied
        manifest = _manifest(ctx, wheel)
        cache.cache.store(
            cache.keys, wheel, result.tested, ctx.warnings, manifest=manifest, same_as=same
        )
    elif cache is not None and result.tested and result.reused_from is None:
        cache.cache.mark_tested(cache.keys, ctx.warnings)


def _build(
    ctx: JobContext, split: SplitExecutor | None, build_turn: TurnScope, progress: list[str]
) -> tuple[PurePosixPath, Job]:
    """Build, repair and audit: the repaired wheel, and the job as the build side ran it (a
    cross build's runs it with a host interpreter)."""
    planned = ctx.job
    progress.append("build")
    with build_turn(ctx), ctx.timed("build"):
        if split is not None:
            ctx.turn.take(ctx)
            planned = prepare_cross_build(ctx, split)
        built = build_wheel(ctx)
    progress.append("repair")
    with audit_venv_beside(ctx, built.name) as audit_venv:  # the audit's venv made meanwhile
        with ctx.timed("repair"):
            repaired = repair_wheel(ctx, built)
        progress.append("audit")
        audit_wheel(ctx, repaired, audit_venv)  # timed as "audit"; host-side, like cibuildwheel
    return repaired, planned


def _find_reusable(
    ctx: JobContext,
    result: JobResult,
    reusable: FindReusable,
    test_early: bool,
    progress: list[str],
) -> tuple[Reusable | None, PurePosixPath | None]:
    """The delivered abi3 wheel the job reuses, if any, and where the job tested it already
    (None: not tested yet), when ``test_early`` let it test a wheel offered meanwhile."""
    tested_early: list[tuple[Offered, PurePosixPath]] = []

    def early(offered: Offered) -> None:  # not a split executor: the test runs where it is
        local = _take_offered(ctx, offered)
        if local is not None:
            result.reused_from = offered.identifier
            _test(ctx, result, local, split=None, planned=ctx.job, progress=progress)
            tested_early.append((offered, local))  # a failure above is this job's

    reused = reusable(early if test_early else None)
    # the delivered wheel is the one tested early (the same file, landed): not tested again
    early_one = next((local for o, local in tested_early if _same(o, reused)), None)
    if early_one is None and tested_early:  # its job did not deliver it: as if never offered
        result.reused_from, result.tested = None, False
    return reused, early_one


def _take(ctx: JobContext, result: JobResult, reused: Reusable, where: str) -> PurePosixPath:
    """Put a wheel of the output dir into the job's work dir, to test it there."""
    local = ctx.workdir / where / reused.wheel.name
    ctx.executor.put_file(reused.wheel, local)
    result.reused_from = reused.identifier
    return local


def _take_offered(ctx: JobContext, offered: Offered) -> PurePosixPath | None:
    """Copy a wheel another job offered into this job's work dir, to test it there (that job
    removes its own once it finished); None when it is gone already."""
    ctx.note(
        f"[manywheel] {offered.identifier} repaired {offered.wheel.name}, that's compatible "
        f"with {ctx.job.name}: tested here while {offered.identifier} tests it too (what "
        f"counts is that {offered.identifier} delivers it)"
    )
    local = ctx.workdir / "offered" / offered.wheel.name
    script = 'mkdir -p "$(dirname "$2")" && cp "$1" "$2"'
    try:
        ctx.run("test", ["sh", "-c", script, "sh", str(offered.wheel), str(local)])
    except StepFailed:  # delivered and removed meanwhile: the delivered one is tested
        ctx.note(f"[manywheel] {offered.wheel.name} was gone: the delivered wheel is tested")
        return None
    return local


def _same(offered: Offered, reused: Reusable | None) -> bool:
    """Whether the delivered wheel is the one offered: same job, same file name."""
    return (
        reused is not None
        and reused.identifier == offered.identifier
        and reused.wheel.name == offered.wheel.name
    )


def _adopt(ctx: JobContext, result: JobResult, earlier: Delivered) -> Reusable:
    """This job built an abi3 wheel another job of the run delivered first (nothing told the
    scheduler to make it wait): the delivered one is what users get, so it is what is tested."""
    ctx.note(
        f"[manywheel] {earlier.identifier} already delivered {earlier.wheel.name} in this run; "
        f"{ctx.job.name} tests that wheel instead of the one it built."
    )
    result.tested = False
    return Reusable(earlier.wheel, earlier.identifier)


def _test(
    ctx: JobContext,
    result: JobResult,
    wheel: PurePosixPath,
    *,
    split: SplitExecutor | None,
    planned: Job,
    progress: list[str],
) -> None:
    if not ctx.job.run_tests:
        return
    progress.append("test")
    with ctx.timed("test"):
        if split is None:
            test_wheel(ctx, wheel)
            result.tested = True
        else:
            result.tested = test_on_target(ctx, split, planned, wheel)


def _manifest(ctx: JobContext, wheel: Path) -> Manifest:
    """What the job's build used (the PATH and variables its build command saw), for its
    cache entry; a native build's files are looked at again on every hit."""
    on_host = ctx.on_host
    seen = {**ctx.executor.base_environment(), **ctx.env, **ctx.build_env}
    env = {**seen, "PATH": ctx.path_with(ctx.executor.tool_path())}
    sysroot = ctx.sysroot.host_lib_dirs if ctx.sysroot is not None else ()
    work_root = Path(ctx.workdir).parent if on_host else None
    return record(wheel, env, on_host=on_host, work_root=work_root, library_dirs=sysroot)
