"""Runs a plan's jobs concurrently, one executor per (image, arch) group, and cleans up."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from manywheel.backends.base import Backend, Executor
from manywheel.cache import WheelCache, cache_keys
from manywheel.errors import Cancelled, StepFailed
from manywheel.logs import RunLogs, tail
from manywheel.pipeline import JobCache, restore_from_cache, run_job
from manywheel.plan import Job, Plan
from manywheel.reporting import Reporter
from manywheel.results import JobResult
from manywheel.secrets import Masker
from manywheel.steps.context import JobContext
from manywheel.system_packages import install_script
from manywheel.wheelhouse import Wheelhouse

GroupKey = tuple[str, str]


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
    """An executor shared by the jobs of one (image, arch), opened on first use."""

    def __init__(self, key: GroupKey) -> None:
        self.key = key
        self.lock = threading.Lock()
        self.executor: Executor | None = None
        self.error: str | None = None
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
        self.debug_shell = debug_shell
        self._failed: list[JobContext] = []  # for --debug-shell, before cleanup
        self.cancel_event = threading.Event()
        self._groups: dict[GroupKey, _Group] = {}
        self._groups_lock = threading.Lock()

    def _group(self, job: Job) -> _Group:
        key = (job.image, job.identifier.arch)
        with self._groups_lock:
            return self._groups.setdefault(key, _Group(key))

    def _open(self, group: _Group, job: Job, log: Path) -> Executor:
        with group.lock:
            if group.executor is None and group.error is None:
                if self.cancel_event.is_set():
                    raise Cancelled("cancelled before it started")
                group.executor = self.backend.open(*group.key)
                self._group_setup(group, group.executor, job, log)
            if group.error is not None:
                raise StepFailed(
                    group.error, step="before-all", command=job.options.before_all, returncode=1
                )
            assert group.executor is not None
            return group.executor

    def _group_setup(self, group: _Group, executor: Executor, job: Job, log: Path) -> None:
        """Once per group: system-packages, then before-all, in a project copy."""
        ctx = JobContext(
            job,
            executor,
            log,
            executor.make_workdir("before-all"),
            self.cancel_event,
            self.reporter.step,
        )
        ctx.project = executor.before_all_dir()
        packages = job.options.system_packages
        try:
            if packages and executor.kind == "native":
                ctx.note(
                    "[manywheel] system-packages are installed in containers only; the "
                    f"native backend ignores them: {' '.join(packages)}"
                )
            elif packages:
                self.reporter.step(job.name, "system-packages")
                ctx.shell("system-packages", install_script(packages))
            if job.options.before_all:
                self.reporter.step(job.name, "before-all")
                ctx.shell("before-all", job.options.before_all, cwd=ctx.project)
        except StepFailed as exc:
            said = [ln for ln in tail(log, 50) if ln.startswith("manywheel: system-packages")]
            detail = (
                said[-1].removeprefix("manywheel: ") if said else f"exit status {exc.returncode}"
            )
            group.error = (
                f"{exc.step} failed for {group.key[0] or 'the host'} ({detail}); see {log}"
            )

    def _run_one(self, job: Job) -> JobResult:
        log = self.logs.for_job(job.name)
        result = JobResult(job.name, log=log)
        start = time.monotonic()
        self.reporter.job_started(job.name)
        try:
            job_cache = self._job_cache(job)
            if job_cache is not None and restore_from_cache(
                job, job_cache, self.wheelhouse, result
            ):
                result.seconds = round(time.monotonic() - start, 1)
                self.reporter.job_finished(result)  # no container, no work dir needed
                return result
            executor = self._open(self._group(job), job, log)
            ctx = JobContext(
                job,
                executor,
                log,
                executor.make_workdir(job.name),
                self.cancel_event,
                self.reporter.step,
                source_date_epoch=self.source_date_epoch,
            )
            run_job(ctx, self.wheelhouse, result, job_cache)
            if result.status == "failed" and self.debug_shell:
                self._failed.append(ctx)
        except StepFailed as exc:
            result.status, result.failed_step, result.error = "failed", exc.step, exc.message
        except Cancelled:
            result.status = "cancelled"
        except Exception as exc:  # a bug must not lose the other jobs' results
            result.status, result.failed_step = "failed", result.failed_step or "internal"
            result.error = f"internal error: {type(exc).__name__}: {exc} (a bug in manywheel)"
        self._mask(job, result)
        if result.status == "failed":
            self._group(job).failed = True
        result.seconds = round(time.monotonic() - start, 1)
        self.reporter.job_finished(result)
        if result.status == "failed" and self.fail_fast:
            self.cancel()
        return result

    def _mask(self, job: Job, result: JobResult) -> None:
        """Secrets never stay in a log, an error or a report."""
        masker = Masker.from_environ(os.environ)
        masker.add_pairs([*job.options.environment, *job.options.test_environment])
        if result.log is not None:
            masker.mask_file(result.log)
        if result.error:
            result.error = masker.mask(result.error)
        if result.failed_command:
            result.failed_command = masker.mask(result.failed_command)

    def _job_cache(self, job: Job) -> JobCache | None:
        if self.cache is None:
            return None
        builder = self.backend.identity(job.image, job.python)
        keys = cache_keys(self.project_digest, job.name, builder, job.options)
        return JobCache(self.cache, keys)

    def cancel(self) -> None:
        self.cancel_event.set()
        with self._groups_lock:
            executors = [g.executor for g in self._groups.values() if g.executor]
        for executor in executors:
            executor.cancel()

    def run(self) -> list[JobResult]:
        """Run every job; on Ctrl-C cancel the rest, clean up, and re-raise."""
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="manywheel-job")
        futures: dict[Future[JobResult], Job] = {}
        try:
            futures = {pool.submit(self._run_one, job): job for job in self.plan.jobs}
            pending = set(futures)
            while pending:
                _, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for ctx in self._failed:
                self.reporter.line(
                    f"{ctx.job.name}: opening a shell in the failed job's work "
                    f"dir {ctx.workdir}; exit it to clean up and continue"
                )
                ctx.executor.debug_shell(ctx.workdir, ctx.env)
        except BaseException:
            self.cancel()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            self._close_all()
        return [
            f.result() if f.done() and not f.cancelled() else JobResult(job.name)
            for f, job in futures.items()
        ]

    def _close_all(self) -> None:
        with self._groups_lock:
            groups = list(self._groups.values())
        for group in groups:
            if group.executor is None:
                continue
            kept = group.executor.keep() if group.failed and self.keep_failed else None
            if kept is not None:
                self.kept.append(kept)
            else:
                group.executor.close()
