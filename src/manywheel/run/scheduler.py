"""Runs a plan's jobs concurrently, one executor per group, and cleans up.

The scheduler owns the pool, cancellation and the debug shell; a group's executor (its start,
set-up, close) is group_registry.py's, one job's run is job_runner.py's.

Promises, each with the test that backs it:
- jobs are grouped by everything that runs once per group (plan.GroupSpec); each group's
  executor starts once, and its system-packages and before-all run once, before its jobs
  (tests/fast/test_groups.py: test_each_group_runs_before_all_and_system_packages_once,
  test_an_override_of_before_all_makes_its_own_group, test_group_keys_cover_what_runs_once);
- a group that cannot start is reported once; its jobs are "not-started", not failed, and the
  run exits with the problem's own code (tests/fast/test_group_start.py:
  test_missing_image_is_one_error_with_exit_4, test_failed_before_all_stops_only_its_group),
  4 for a missing engine, image or QEMU (tests/integration/test_container_failures.py);
  when several groups cannot start, the first in plan order gives the exit code, whichever
  failed first (test_group_start.py: test_the_first_group_in_plan_order_gives_the_exit_code);
- a failed job never stops the others (tests/fast/test_cancellation.py:
  test_without_fail_fast_a_failed_job_stops_nothing), unless --fail-fast: then running jobs
  are stopped and queued jobs end "cancelled" without creating a work dir or copying the
  project (test_fail_fast_cancels_queued_jobs_before_they_touch_anything,
  test_fail_fast_reaches_a_group_that_is_starting);
- every executor opened is closed, even when another's close fails, and even when a second
  Ctrl-C arrives during the cleanup (test_cancellation.py:
  test_one_failing_close_does_not_keep_the_others_open,
  test_second_ctrl_c_during_cleanup_still_closes_everything);
- a build that starts with cores no other build uses gets them (build_slots.py), and never
  over the user's own settings or into the cache key (tests/fast/test_build_slots.py);
- with a compiler cache, the first job of each compile-flag signature builds before the
  others of its signature, side by side with the other signatures' first, and the results
  stay in plan order (compile_order.py; tests/fast/test_compile_order.py,
  tests/integration/test_compiler_cache.py:
  test_native_cold_build_compiles_a_shared_file_once_per_flag_signature,
  test_podman_cpythons_that_differ_by_a_warning_option_share_a_compiled_file).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from manywheel.backends.base import Backend, GroupExecutor
from manywheel.caching.warm_records import WarmRecords
from manywheel.caching.wheel_cache import WheelCache
from manywheel.errors import ExitCode, GroupNotStarted
from manywheel.planning.build_system import BuildSystem
from manywheel.planning.plan import Job, Plan
from manywheel.run.abi3_reuse import Abi3Reuse
from manywheel.run.build_slots import BuildSlots, usable_cores
from manywheel.run.compile_order import CacheWarmup, Signature, flag_signature, warm_order
from manywheel.run.group_registry import GroupRegistry
from manywheel.run.interrupts import deferred_interrupts
from manywheel.run.job_cache_keys import JobCacheKeys
from manywheel.run.job_runner import JobRunner
from manywheel.run.logs import RunLogs
from manywheel.run.reporting import Reporter
from manywheel.run.results import JobResult
from manywheel.run.wheelhouse import Wheelhouse
from manywheel.steps.context import JobContext


def default_jobs() -> int:
    """One job per core plus one (jobs wait on processes and I/O part of the time; measured
    on 2 cores: 3 jobs beat 2 by ~15%), but no more than one per 2 GiB of memory."""
    cpus = usable_cores()
    try:
        mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem_gib = 2.0 * cpus
    return max(1, min(cpus + 1, int(mem_gib // 2)))


def balanced_jobs(most: int, jobs: int) -> int:
    """How many of ``jobs`` to run at once: no more than ``most``, and as few as finish them in
    the same number of rounds, so that the last round is not one job alone. 4 jobs on 2 cores
    (``most`` 3): 2 and 2 keep both cores busy to the end, where 3 and then 1 left one idle
    (measured, a one-file edit of markupsafe: 3.9 s with 2 at once, 4.2 s with 3)."""
    if jobs <= most:
        return max(1, jobs)
    rounds = -(-jobs // most)
    return -(-jobs // rounds)


def jobs_at_once(jobs: int, held: int) -> int:
    """The default pool width: balanced_jobs, and one more for each job whose build is held
    for another's (compile_order.py CacheWarmup), up to twice as many: such a job gets its
    project, build environment and hook ready while the other compiles, and builds (from the
    compiler cache) once that build ended, while the other repairs and tests; without the room,
    it would start only once the other's test ended."""
    most = default_jobs()
    return min(jobs, balanced_jobs(most, jobs) + held, 2 * most)


class Scheduler:
    """The pool that runs the jobs (job_runner.py), over the groups' executors
    (group_registry.py); it cancels them (--fail-fast, Ctrl-C) and opens the debug shells.

    ``share_objects``: the jobs' builds can share compiled objects through a compiler cache,
    so they start in the order that fills it for each other (compile_order.py, by
    ``signature``); ``cores``: what the builds running share (build_slots.py; None: the cores
    this process may use)."""

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
        build_system: BuildSystem | None = None,
        source_date_epoch: int | None = None,
        share_objects: bool = False,
        warm_records: WarmRecords | None = None,
        cores: int | None = None,
        signature: Signature = flag_signature,
    ) -> None:
        self.plan = plan
        self.reporter = reporter
        self.fail_fast = fail_fast
        self.cancel_event = threading.Event()
        self.groups = GroupRegistry(
            plan.groups(),
            backend=backend,
            reporter=reporter,
            cancel_event=self.cancel_event,
            keep_failed=keep_failed,
        )
        self._failed: list[tuple[JobContext, GroupExecutor]] = []  # for --debug-shell
        # the abi3 hold waits for older CPythons: they must start first, in plan order
        warm = share_objects and not limited_api
        self.order = warm_order(plan.jobs, signature) if warm else list(plan.jobs)
        warmup = CacheWarmup(self.order, signature, enabled=share_objects, records=warm_records)
        self.workers = jobs or jobs_at_once(len(plan.jobs), warmup.held)
        self.runner = JobRunner(
            groups=self.groups,
            cache_keys=JobCacheKeys(cache, backend, project_digest),
            abi3=Abi3Reuse(plan.jobs, hold=limited_api),
            slots=BuildSlots(cores or usable_cores()),
            warmup=warmup,
            wheelhouse=wheelhouse,
            logs=logs,
            reporter=reporter,
            cancel_event=self.cancel_event,
            source_date_epoch=source_date_epoch,
            build_system=build_system,
            on_failure=self._remember_failed if debug_shell else None,
        )

    @property
    def kept(self) -> list[str]:
        """How to enter each environment kept for inspection (--keep-container)."""
        return self.groups.kept

    @property
    def start_errors(self) -> list[GroupNotStarted]:
        """One error per group that could not start, in plan order."""
        return self.groups.start_errors

    @property
    def cleanup_errors(self) -> list[str]:
        return self.groups.cleanup_errors

    @property
    def exit_code(self) -> ExitCode | None:
        """The exit code of the first group in plan order that could not start, if any: when
        several fail, the same one decides whatever the order their starts end in."""
        return self.groups.exit_code

    # -- the run -------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop the run: queued jobs end "cancelled", running ones are stopped."""
        self.cancel_event.set()
        self.groups.cancel()

    def _run_one(self, job: Job) -> JobResult:
        result = self.runner.run(job)
        if result.status == "failed" and self.fail_fast:
            self.cancel()
        return result

    def run(self) -> list[JobResult]:
        """Run every job (in self.order); on Ctrl-C cancel the rest, clean up, and re-raise.
        The results are in plan order."""
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="manywheel-job")
        futures: dict[Future[JobResult], Job] = {}
        interrupted = False
        try:
            futures = {pool.submit(self._run_one, job): job for job in self.order}
            pending = set(futures)
            while pending:
                _, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            self._open_debug_shells()
        except BaseException:
            interrupted = True
            raise
        finally:
            with deferred_interrupts():
                if interrupted:
                    self.cancel()
                pool.shutdown(wait=True, cancel_futures=True)
                self.groups.close_all()
        results = {
            job.name: f.result() if f.done() and not f.cancelled() else JobResult(job.name)
            for f, job in futures.items()
        }
        return [results[job.name] for job in self.plan.jobs if job.name in results]

    # -- the debug shell -----------------------------------------------------------------------
    def _remember_failed(self, ctx: JobContext, executor: GroupExecutor) -> None:
        self._failed.append((ctx, executor))  # list.append is atomic: jobs run in threads

    def _open_debug_shells(self) -> None:
        """One shell per failed job, one after the other, before anything is cleaned up."""
        for ctx, executor in self._failed:
            self.reporter.line(
                f"{ctx.job.name}: opening a shell in the failed job's work "
                f"dir {ctx.workdir}; exit it to clean up and continue"
            )
            executor.debug_shell(ctx.workdir, ctx.env)
