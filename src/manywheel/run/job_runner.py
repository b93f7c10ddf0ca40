"""One job of a run, from its queue slot to its result: restored from the build cache, or run
through the pipeline in its group's executor; whatever it raises becomes a status, and no
secret stays in its result.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path

from manywheel.backends.base import GroupExecutor
from manywheel.config.secrets import Masker
from manywheel.errors import Cancelled, GroupNotStarted, ManywheelError, StepFailed
from manywheel.planning.build_system import BuildSystem
from manywheel.planning.plan import Job
from manywheel.run.abi3_reuse import Abi3Reuse, Reusable
from manywheel.run.build_slots import BuildSlots
from manywheel.run.compile_order import CacheWarmup
from manywheel.run.group_registry import GroupRegistry
from manywheel.run.job_cache_keys import JobCacheKeys
from manywheel.run.logs import RunLogs
from manywheel.run.pipeline import JobCache, restore_from_cache, run_job
from manywheel.run.reporting import Reporter
from manywheel.run.results import JobResult
from manywheel.run.wheelhouse import Wheelhouse
from manywheel.steps.context import INDEX_AT_ONCE, BuildTurn, JobContext

# told of each failed job's context while its executor is still open (--debug-shell)
OnFailure = Callable[[JobContext, GroupExecutor], None]


class JobRunner:
    def __init__(
        self,
        *,
        groups: GroupRegistry,
        cache_keys: JobCacheKeys,
        abi3: Abi3Reuse,
        slots: BuildSlots,
        warmup: CacheWarmup,
        wheelhouse: Wheelhouse,
        logs: RunLogs,
        reporter: Reporter,
        cancel_event: threading.Event,
        source_date_epoch: int | None = None,
        build_system: BuildSystem | None = None,
        on_failure: OnFailure | None = None,
    ) -> None:
        self.groups = groups
        self.cache_keys = cache_keys
        self.abi3 = abi3
        self.slots = slots
        self.warmup = warmup
        self.wheelhouse = wheelhouse
        self.logs = logs
        self.reporter = reporter
        self.cancel_event = cancel_event
        self.source_date_epoch = source_date_epoch
        self.build_system = build_system
        self.on_failure = on_failure
        self.index = threading.BoundedSemaphore(INDEX_AT_ONCE)  # the jobs' turns at the index

    def run(self, job: Job) -> JobResult:
        """Run one job; never raises for anything the job does (a bug included)."""
        result = JobResult(job.name)
        if self.cancel_event.is_set():  # --fail-fast or Ctrl-C: queued jobs never start
            self.abi3.finished(job, None)
            self.warmup.built(job)
            self.reporter.job_finished(result)
            return result
        log = result.log = self.logs.for_job(job.name)
        start = time.monotonic()
        self.reporter.job_started(job.name)
        job_cache: JobCache | None = None
        done: list[Callable[[], None]] = []  # once the jobs held for this one are released
        try:
            job_cache = self._restore_or_run(job, result, log, done)
        except Exception as exc:  # a bug must not lose the other jobs' results
            record_exception(result, exc)
        self.abi3.finished(job, _built(result, job_cache))
        self.warmup.built(job)  # ended without a build step (cache, reuse, failure before)
        for then in done:
            then()
        mask_result(job, result)
        if result.status == "failed":
            self.groups.job_failed(job)
        result.seconds = round(time.monotonic() - start, 1)
        self.reporter.job_finished(result)
        return result

    def _context(self, job: Job, executor: GroupExecutor, log: Path) -> JobContext:
        workdir = executor.make_workdir(job.name)
        return JobContext(
            job,
            executor,
            log,
            workdir,
            self.cancel_event,
            self.reporter.step,
            source_date_epoch=self.source_date_epoch,
            build_system=self.build_system,
            announce=partial(_announce, self.reporter, job.name),
            index=self.index,
        )

    # every use of the build cache in a job's run, but the pipeline's own, is in the next
    # two functions: the entry's keys, the restore, and the entry an abi3 wheel is linked to
    def _restore_or_run(
        self, job: Job, result: JobResult, log: Path, done: list[Callable[[], None]]
    ) -> JobCache | None:
        """Deliver the job's wheel from the cache, or run its steps; the job's cache entry.
        What is left to do once later jobs may go on is added to ``done``."""
        job_cache = self.cache_keys.for_job(job)
        if job_cache is not None and restore_from_cache(job, job_cache, self.wheelhouse, result):
            return job_cache
        executor = self.groups.executor_for(job, log)
        if job_cache is None:  # the image is there now: its ID names the entry
            job_cache = self.cache_keys.for_job(job)
        ctx = self._context(job, executor, log)
        reusable = partial(self.abi3.compatible, job, self.cancel_event.is_set)
        offer = partial(self.abi3.offer, job)
        run_job(
            ctx,
            self.wheelhouse,
            result,
            job_cache,
            reusable,
            build_turn=self._build_turn,
            offer=offer,
        )
        if result.status == "failed" and self.on_failure is not None:
            self.on_failure(ctx, executor)
        elif result.status == "success":  # its wheel is out: removed while others still run
            done.append(partial(executor.drop_workdir, ctx.workdir))
        return job_cache

    @contextmanager
    def _build_turn(self, ctx: JobContext) -> Iterator[None]:
        """Around a job's build step: its turn (_Turn), released at the step's end."""
        job = ctx.job
        turn = ctx.turn = _Turn(self.warmup, self.slots, job)
        try:
            with turn.claimed:
                yield
            self.warmup.succeeded(job)  # not reached when the build step raised
        finally:
            self.warmup.built(job)


class _Turn(BuildTurn):
    """A build's turn: first the end of its warmer's build (compile_order.py), then its share
    of the cores (build_slots.py), held until the build step ends."""

    def __init__(self, warmup: CacheWarmup, slots: BuildSlots, job: Job) -> None:
        self.warmup, self.slots, self.job = warmup, slots, job
        self.claimed = ExitStack()
        self.taken = False

    def ahead(self) -> bool:
        return not self.taken and self.warmup.warmer_of(self.job) is not None

    def awaited(self) -> bool:
        return self.warmup.warms_others(self.job)

    def shares_objects(self) -> bool:
        return self.warmup.shares_objects(self.job)

    def reference(self) -> str | None:
        return self.warmup.reference(self.job)

    def take(self, ctx: JobContext) -> None:
        if self.taken:
            return
        self.taken = True
        warmer = self.warmup.warmer_of(self.job)
        if warmer is not None:
            ctx.note(
                f"[manywheel] waiting for {warmer} to finish building: it compiles with "
                "the same flags, and fills the compiler cache for this build"
            )
            start = time.monotonic()
            self.warmup.wait(self.job, ctx.cancel_event.is_set)
            ctx.paused += time.monotonic() - start
            ctx.check_cancelled()
        elif (planned := self.warmup.planned_warmer(self.job)) is not None:
            ctx.note(  # it got ready while that one compiled: nothing left to wait for
                f"[manywheel] {planned} finished building before this build's turn: it "
                "compiles with the same flags, and filled the compiler cache for this build"
            )
        ctx.core_share.most = self.slots.cores
        claim = self.slots.claim(on_share=ctx.core_share.set)
        ctx.build_cores = self.claimed.enter_context(claim)


def _announce(reporter: Reporter, name: str, text: str) -> None:
    reporter.line(f"{name}: {text}")


def _built(result: JobResult, job_cache: JobCache | None) -> Reusable | None:
    """What a successful job built (or restored), for later jobs to reuse if abi3."""
    if result.status != "success" or result.wheel is None or result.reused_from:
        return None
    cached = job_cache.cache.wheel_path(job_cache.keys) if job_cache else None
    return Reusable(result.wheel, result.identifier, cached)


def record_exception(result: JobResult, exc: Exception) -> None:
    """The status of a job whose run raised ``exc`` (the pipeline itself records the failures
    of its steps; these come from the group's start, the cache, or a bug)."""
    if isinstance(exc, GroupNotStarted):
        result.status, result.failed_step, result.error = "not-started", "start", exc.message
    elif isinstance(exc, StepFailed):
        result.status, result.failed_step, result.error = "failed", exc.step, exc.message
    elif isinstance(exc, Cancelled):
        result.status = "cancelled"
    elif isinstance(exc, ManywheelError):
        result.status, result.failed_step = "failed", result.failed_step or "prepare"
        result.error = exc.message
    else:
        result.status, result.failed_step = "failed", result.failed_step or "internal"
        result.error = f"internal error: {type(exc).__name__}: {exc} (a bug in manywheel)"


def mask_result(job: Job, result: JobResult) -> None:
    """Secrets never stay in an error or a report (logs are masked as they are written)."""
    masker = Masker.for_job(os.environ, job.options)
    if result.error:
        result.error = masker.mask(result.error)
    if result.failed_command:
        result.failed_command = masker.mask(result.failed_command)
