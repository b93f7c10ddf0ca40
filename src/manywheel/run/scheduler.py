"""Runs a plan's jobs concurrently, one executor per group, and cleans up.

Promises (each backed by a fast test in tests/unit/test_scheduler.py):
- jobs are grouped by everything that runs once per group (plan.GroupSpec); each group's
  executor starts once, and its system-packages and before-all run once, before its jobs;
- a group that cannot start is reported once; its jobs are "not-started", not failed, and the
  run exits with the problem's own code (4 for a missing engine, image or QEMU);
- a failed job never stops the others, unless --fail-fast: then running jobs are stopped
  and queued jobs end "cancelled" without creating a work dir or copying the project;
- every executor opened is closed, even when another's close fails, and even when a second
  Ctrl-C arrives during the cleanup.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from functools import partial
from pathlib import Path

from manywheel.backends.base import Backend, GroupExecutor
from manywheel.caching.wheel_cache import WheelCache, cache_keys
from manywheel.config.secrets import Masker
from manywheel.errors import Cancelled, ExitCode, GroupNotStarted, ManywheelError, StepFailed
from manywheel.planning.plan import GroupSpec, Job, Plan, group_of
from manywheel.planning.system_packages import install_script
from manywheel.run.abi3_reuse import Abi3Reuse, Reusable
from manywheel.run.interrupts import deferred_interrupts
from manywheel.run.logs import RunLogs, tail
from manywheel.run.pipeline import JobCache, restore_from_cache, run_job
from manywheel.run.reporting import Reporter
from manywheel.run.results import JobResult
from manywheel.run.wheelhouse import Wheelhouse
from manywheel.steps.context import JobContext


def default_jobs() -> int:
    """One job per core plus one (jobs wait on processes and I/O part of the time; measured
    on 2 cores: 3 jobs beat 2 by ~15%), but no more than one per 2 GiB of memory."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem_gib = 2.0 * cpus
    return max(1, min(cpus + 1, int(mem_gib // 2)))


class _Group:
    """The executor shared by the jobs of one group, started by the first job that needs it."""

    def __init__(self, spec: GroupSpec) -> None:
        self.spec = spec
        self.lock = threading.Lock()
        self.executor: GroupExecutor | None = None
        self.error: GroupNotStarted | None = None
        self.failed = False


class Scheduler:
    def __init__(
        self,
        *,
        plan: Plan,
        backend: Backend,
        wheelhouse: Wheelhouse,
        logs: RunLogs,
        reporter: Reporter,
        jobs: int,
        fail_fast: bool,
        keep_failed: bool = False,
        debug_shell: bool = False,
        cache: WheelCache | None = None,
        project_digest: str = "",
        limited_api: bool = False,
        source_date_epoch: int | None = None,
    ) -> None:
        self.plan = plan
        self.backend = backend
        self.wheelhouse = wheelhouse
        self.logs = logs
        self.reporter = reporter
        self.workers = jobs or default_jobs()
        self.fail_fast = fail_fast
        self.keep_failed = keep_failed
        self.cache = cache
        self.project_digest = project_digest
        self.source_date_epoch = source_date_epoch
        self.kept: list[str] = []  # how to enter each kept environment
        self.start_errors: list[GroupNotStarted] = []  # once per group that could not start
        self.cleanup_errors: list[str] = []
        self.debug_shell = debug_shell
        self._failed: list[
            tuple[JobContext, GroupExecutor]
        ] = []  # for --debug-shell, before cleanup
        self.cancel_event = threading.Event()
        self._groups = {spec: _Group(spec) for spec in plan.groups()}
        self._abi3 = Abi3Reuse(plan.jobs, hold=limited_api)
        self._lock = threading.Lock()

    # -- groups --------------------------------------------------------------------------------
    def _executor_for(self, group: _Group, job: Job, log: Path) -> GroupExecutor:
        """The group's executor, started (and set up) by the first job to ask."""
        with group.lock:
            if group.error is not None:
                raise group.error
            if group.executor is None:
                if self.cancel_event.is_set():
                    raise Cancelled("cancelled before it started")
                executor = self.backend.open(group.spec)
                group.executor = executor  # registered first: cancel() reaches its start
                try:
                    executor.start()
                    self._group_setup(group, executor, job, log)
                except GroupNotStarted as exc:
                    self._not_started(group, exc)
                except Cancelled:
                    raise
                except ManywheelError as exc:
                    self._not_started(group, GroupNotStarted(exc.message, exit_code=exc.exit_code))
            return group.executor

    def _not_started(self, group: _Group, error: GroupNotStarted) -> None:
        if self.cancel_event.is_set():
            raise Cancelled("cancelled while its group started")
        group.error = error
        with self._lock:
            self.start_errors.append(error)
        self.reporter.line(f"could not start {group.spec.describe()}: {error.message}")
        raise error

    def _group_setup(self, group: _Group, executor: GroupExecutor, job: Job, log: Path) -> None:
        """Once per group: system-packages, then before-all, in the project copy (their
        output goes to the log of the job that started the group)."""
        spec = group.spec
        if not (spec.system_packages or spec.before_all):
            return
        ctx = JobContext(
            job,
            executor,
            log,
            executor.make_workdir("before-all"),
            self.cancel_event,
            self.reporter.step,
        )
        ctx.project = executor.before_all_dir()
        try:
            if spec.system_packages and executor.kind == "native":
                ctx.note(
                    "[manywheel] system-packages are installed in containers only; the "
                    f"native backend ignores them: {' '.join(spec.system_packages)}"
                )
            elif spec.system_packages:
                self.reporter.step(job.name, "system-packages")
                ctx.shell(
                    "system-packages", install_script(spec.system_packages, job.identifier.kind)
                )
            if spec.before_all:
                self.reporter.step(job.name, "before-all")
                ctx.shell("before-all", spec.before_all, cwd=ctx.project)
        except StepFailed as exc:
            said = [ln for ln in tail(log, 50) if ln.startswith("manywheel: system-packages")]
            detail = (
                said[-1].removeprefix("manywheel: ") if said else f"exit status {exc.returncode}"
            )
            raise GroupNotStarted(
                f"{exc.step} failed for {spec.describe()} ({detail}); see {log}"
            ) from None

    # -- jobs ----------------------------------------------------------------------------------
    def _run_one(self, job: Job) -> JobResult:
        result = JobResult(job.name)
        if self.cancel_event.is_set():  # --fail-fast or Ctrl-C: queued jobs never start
            self._abi3.finished(job, None)
            self.reporter.job_finished(result)
            return result
        result.log = self.logs.for_job(job.name)
        start = time.monotonic()
        self.reporter.job_started(job.name)
        group = self._groups[group_of(job)]
        job_cache: JobCache | None = None
        try:
            job_cache = self._job_cache(job)
            if job_cache is None or not restore_from_cache(job, job_cache, self.wheelhouse, result):
                executor = self._executor_for(group, job, result.log)
                if job_cache is None:  # the image is there now: its ID names the entry
                    job_cache = self._job_cache(job)
                ctx = JobContext(
                    job,
                    executor,
                    result.log,
                    executor.make_workdir(job.name),
                    self.cancel_event,
                    self.reporter.step,
                    source_date_epoch=self.source_date_epoch,
                )
                reusable = partial(self._abi3.compatible, job, self.cancel_event.is_set)
                run_job(ctx, self.wheelhouse, result, job_cache, reusable)
                if result.status == "failed" and self.debug_shell:
                    self._failed.append((ctx, executor))
        except GroupNotStarted as exc:
            result.status, result.failed_step, result.error = "not-started", "start", exc.message
        except StepFailed as exc:
            result.status, result.failed_step, result.error = "failed", exc.step, exc.message
        except Cancelled:
            result.status = "cancelled"
        except ManywheelError as exc:
            result.status, result.failed_step = "failed", result.failed_step or "prepare"
            result.error = exc.message
        except Exception as exc:  # a bug must not lose the other jobs' results
            result.status, result.failed_step = "failed", result.failed_step or "internal"
            result.error = f"internal error: {type(exc).__name__}: {exc} (a bug in manywheel)"
        self._abi3.finished(job, self._built(result, job_cache))
        self._mask(job, result)
        if result.status == "failed":
            group.failed = True
        result.seconds = round(time.monotonic() - start, 1)
        self.reporter.job_finished(result)
        if result.status == "failed" and self.fail_fast:
            self.cancel()
        return result

    @staticmethod
    def _built(result: JobResult, job_cache: JobCache | None) -> Reusable | None:
        """What a successful job built (or restored), for later jobs to reuse if abi3."""
        if result.status != "success" or result.wheel is None or result.reused_from:
            return None
        cached = job_cache.cache.wheel_path(job_cache.keys) if job_cache else None
        return Reusable(result.wheel, result.identifier, cached)

    def _mask(self, job: Job, result: JobResult) -> None:
        """Secrets never stay in an error or a report (logs are masked as they are written)."""
        masker = Masker.for_job(os.environ, job.options)
        if result.error:
            result.error = masker.mask(result.error)
        if result.failed_command:
            result.failed_command = masker.mask(result.failed_command)

    def _job_cache(self, job: Job) -> JobCache | None:
        """The job's cache entry keys; None without a cache, or while the backend cannot yet
        say what the job is built with (never a key with a part missing)."""
        identity = self.backend.identity(job) if self.cache is not None else None
        if self.cache is None or identity is None:
            return None
        return JobCache(
            self.cache, cache_keys(self.project_digest, job.name, identity, job.options)
        )

    # -- the run -------------------------------------------------------------------------------
    def cancel(self) -> None:
        self.cancel_event.set()
        for group in self._groups.values():
            if group.executor is not None:
                group.executor.cancel()

    def run(self) -> list[JobResult]:
        """Run every job; on Ctrl-C cancel the rest, clean up, and re-raise."""
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="manywheel-job")
        futures: dict[Future[JobResult], Job] = {}
        interrupted = False
        try:
            futures = {pool.submit(self._run_one, job): job for job in self.plan.jobs}
            pending = set(futures)
            while pending:
                _, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for ctx, executor in self._failed:
                self.reporter.line(
                    f"{ctx.job.name}: opening a shell in the failed job's work "
                    f"dir {ctx.workdir}; exit it to clean up and continue"
                )
                executor.debug_shell(ctx.workdir, ctx.env)
        except BaseException:
            interrupted = True
            raise
        finally:
            with deferred_interrupts():
                if interrupted:
                    self.cancel()
                pool.shutdown(wait=True, cancel_futures=True)
                self._close_all()
        return [
            f.result() if f.done() and not f.cancelled() else JobResult(job.name)
            for f, job in futures.items()
        ]

    @property
    def exit_code(self) -> ExitCode | None:
        """The exit code of the first group that could not start, if any."""
        return self.start_errors[0].exit_code if self.start_errors else None

    def _close_all(self) -> None:
        """Close every executor; one that fails to close does not keep the others open."""
        for group in self._groups.values():
            executor = group.executor
            if executor is None:
                continue
            try:
                kept = executor.keep() if group.failed and self.keep_failed else None
                if kept is not None:
                    self.kept.append(kept)
                else:
                    executor.close()
            except Exception as exc:
                message = exc.message if isinstance(exc, ManywheelError) else repr(exc)
                self.cleanup_errors.append(message)
                self.reporter.line(f"warning: cleaning up {group.spec.describe()}: {message}")
