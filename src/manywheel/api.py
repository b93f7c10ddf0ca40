"""The library entry points: load a project and its options, plan, build.

The CLI is a thin layer over these; nothing here prints except through the Reporter given.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from manywheel.backends.base import Backend
from manywheel.backends.container_backend import image_python_dirs
from manywheel.caching.compiler_cache import cache_home
from manywheel.caching.project_digest import project_digest
from manywheel.caching.warm_records import WarmRecords
from manywheel.caching.wheel_cache import WheelCache, default_cache_root
from manywheel.config.credentials import passed_on_purpose, withheld
from manywheel.config.resolve import OptionsResolver, read_toml, resolve
from manywheel.diagnose.libc_floor import host_libc
from manywheel.errors import ConfigError, GroupNotStarted
from manywheel.planning.build_system import build_system_of
from manywheel.planning.in_container import detect
from manywheel.planning.interpreters import host_arch
from manywheel.planning.plan import Plan, make_plan, resolve_archs
from manywheel.planning.platforms import candidates, sources
from manywheel.planning.project import Project, load_project
from manywheel.planning.shard import parse_shard, shard_jobs
from manywheel.planning.shared_sources import shared_sources_digest
from manywheel.release.reproducible import SourceDate, source_date
from manywheel.run.logs import RunLogs, default_log_root
from manywheel.run.reporting import Reporter
from manywheel.run.results import JobResult, add_floor_warnings
from manywheel.run.scheduler import Scheduler
from manywheel.run.wheelhouse import Wheelhouse


@dataclass(frozen=True)
class Session:
    project: Project
    resolver: OptionsResolver
    environ: Mapping[str, str]


def load(
    path: Path,
    *,
    cli: Mapping[str, tuple[Any, str]],
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Session:
    environ = dict(os.environ if environ is None else environ)
    project = load_project(path)
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"--config-file: '{config_file}' does not exist or is not a file.")
        document: Mapping[str, Any] | None = read_toml(config_file, str(config_file))
        label = str(config_file)
    else:
        document, label = project.pyproject, project.pyproject_label
    session = Session(project, resolve(document, label, cli, environ), environ)
    run = session.resolver.run
    if run.toolchain == "zig":
        _check_zig_platform(session)
        from manywheel.toolchains.zig import policy_glibc, refuse_musllinux, zig_binary

        policy_glibc(run.manylinux_policy, session.resolver.source_of("manylinux-policy"))
        refuse_musllinux(run.build, session.resolver.source_of("build"))
        zig_binary()  # missing ziglang: say so before any job starts
    return session


def _check_zig_platform(session: Session) -> None:
    """zig builds on the host: every arch natively, foreign arches only with containers."""
    run = session.resolver.run
    if run.platform == "native":
        return
    archs = resolve_archs(run.archs, host_arch(), run.platform, "archs", cross=True)
    if not archs - {host_arch()}:
        raise ConfigError(
            f"{session.resolver.source_of('toolchain')}: with --platform {run.platform}, the "
            "zig toolchain cross-compiles foreign arches on the host (tested in their image "
            f"under QEMU), but only this machine's arch ({host_arch()}) is selected. Use "
            "--platform native --toolchain zig to build for it without a container, or add "
            "foreign arches (--archs aarch64)."
        )


def make_build_plan(session: Session, only: str | None = None, shard: str | None = None) -> Plan:
    run = session.resolver.run
    plan = make_plan(
        session.resolver,
        session.project,
        candidates(run, session.environ, image_python_dirs),
        host_arch(),
        only,
        sources=sources(run, session.environ),
    )
    if shard:
        index, count = parse_shard(shard)
        jobs = tuple(shard_jobs(plan.jobs, index, count, host_arch()))
        plan = replace(plan, jobs=jobs)
    return plan


def withheld_credentials(session: Session, plan: Plan) -> list[str]:
    """The credentials in the environment that no job's build code gets (config/credentials.py):
    none of the jobs names them."""
    run = session.resolver.run
    native = plan.platform == "native" or run.toolchain == "zig"  # zig builds on the host
    named: set[str] = set()
    for job in plan.jobs:
        named |= passed_on_purpose(job.options, native=native)
    return withheld(session.environ, named)


def backend_for(
    session: Session, output_dir: Path, announce: Callable[[str], None] | None = None
) -> Backend:
    """The backend of the run's platform; ``announce`` says on the run's output what will not
    happen (a compiler cache that is off, and why)."""
    run = session.resolver.run
    exclude = {output_dir.resolve()}
    # --no-cache builds everything afresh: the compiler cache too
    compiler_cache = run.compiler_cache if run.cache else "off"
    from manywheel.backends.native import NativeBackend

    containers = None
    if run.platform != "native":
        from manywheel.backends.container_backend import container_backend

        containers = container_backend(session.project, run, exclude, compiler_cache, announce)
    native = NativeBackend(
        session.project, exclude, compiler_cache=compiler_cache, announce=announce
    )
    if run.toolchain != "zig":
        return containers or native
    from manywheel.backends.container_backend import engine_for
    from manywheel.backends.cross_backend import CrossBackend
    from manywheel.backends.engine import Engine
    from manywheel.planning.interpreters import discover

    def engine() -> Engine:  # natively, only foreign arches need one (for their image)
        return engine_for(run.platform, run.container_engine)

    pythons = discover(run.interpreters, session.environ)
    return CrossBackend(containers or native, native, engine, containers, pythons)


@dataclass(frozen=True)
class BuildOutcome:
    results: list[JobResult]
    kept: list[str]  # how to enter each environment kept for inspection (--keep-container)
    start_errors: list[GroupNotStarted] = field(default_factory=list)  # once per group
    cleanup_errors: list[str] = field(default_factory=list)
    source_date: SourceDate | None = None  # the SOURCE_DATE_EPOCH the jobs were given


def _once(reporter: Reporter) -> Callable[[str], None]:
    """A line on the run's output, said once however many groups or jobs say it."""
    said: set[str] = set()
    lock = threading.Lock()

    def line(text: str) -> None:
        with lock:
            if text in said:
                return
            said.add(text)
        reporter.line(text)

    return line


def _refused(reporter: Reporter, logs: RunLogs) -> Callable[[str, str], None]:
    """Says on the run's output, and in the job's log, why a cached wheel was not used."""

    def refused(job: str, why: str) -> None:
        reporter.line(f"cache: entry for {job} refused: {why}")
        with logs.for_job(job).open("a", encoding="utf-8") as fh:
            fh.write(f"[manywheel] cache entry refused: {why}; building again\n")

    return refused


def _shared_objects(session: Session) -> WarmRecords | None:
    """Whether the jobs' builds can share compiled objects, and which caches already hold
    them (None: nothing to share): the compiler cache is on and the project has C/C++ files
    that include no Python header."""
    run = session.resolver.run
    if not run.cache or run.compiler_cache == "off":
        return None
    shared = shared_sources_digest(session.project)
    return None if shared is None else WarmRecords(cache_home() / "warmed", shared)


def build(
    session: Session, plan: Plan, reporter: Reporter, *, debug_shell: bool = False
) -> BuildOutcome:
    run = session.resolver.run
    date = source_date(session.project, session.environ)
    wheelhouse = Wheelhouse(Path(run.output_dir), date.epoch)
    wheelhouse.ensure()
    logs = RunLogs(Path(run.log_dir) if run.log_dir else default_log_root())
    cache, digest = None, ""
    if run.cache:
        exclude = {wheelhouse.path.resolve()}
        cache = WheelCache(default_cache_root(), run.cache_size * 2**20, _refused(reporter, logs))
        # the epoch changes the wheel's bytes: a user-set SOURCE_DATE_EPOCH is a build input
        digest = f"{project_digest(session.project.path, exclude)}:epoch={date.epoch}"
    else:
        reporter.line(
            "cache: off (--no-cache, or cache = false): every wheel is built afresh, "
            "without the compiler cache"
        )
    if run.cache and run.compiler_cache == "off":
        reporter.line("compiler cache: off (compiler-cache = off)")
    shared = _shared_objects(session)
    scheduler = Scheduler(
        plan=plan,
        backend=backend_for(session, wheelhouse.path, _once(reporter)),
        wheelhouse=wheelhouse,
        logs=logs,
        reporter=reporter,
        jobs=run.jobs,
        fail_fast=run.fail_fast,
        keep_failed=run.keep_container,
        debug_shell=debug_shell,
        cache=cache,
        project_digest=digest,
        limited_api=session.project.limited_api,
        build_system=build_system_of(session.project.pyproject),
        source_date_epoch=date.epoch,
        share_objects=shared is not None,
        warm_records=shared,
    )
    results = scheduler.run()
    # inside a manylinux image the wheels carry the image's policy (AUDITWHEEL_PLAT)
    native = run.platform == "native" and detect(session.environ) is None
    add_floor_warnings(results, host_libc(), native=native, toolchain=run.toolchain)
    return BuildOutcome(
        results, scheduler.kept, scheduler.start_errors, scheduler.cleanup_errors, date
    )
