"""The library entry points: load a project and its options, plan, build.

The CLI is a thin layer over these; nothing here prints except through the Reporter given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from manywheel.backends.base import Backend
from manywheel.cache import WheelCache, default_cache_root, project_digest
from manywheel.config.resolve import OptionsResolver, read_toml, resolve
from manywheel.errors import ConfigError, GroupNotStarted
from manywheel.interpreters import host_arch
from manywheel.logs import RunLogs, default_log_root
from manywheel.plan import Plan, make_plan
from manywheel.platforms import candidates
from manywheel.project import Project, load_project
from manywheel.reporting import Reporter
from manywheel.results import JobResult
from manywheel.scheduler import Scheduler
from manywheel.shard import parse_shard, shard_jobs
from manywheel.wheelhouse import Wheelhouse


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
        if run.platform != "native":
            raise ConfigError(
                f"{session.resolver.source_of('toolchain')}: the zig toolchain builds on the host "
                f"(--platform native), not with --platform {run.platform}; containers already "
                "provide an old glibc."
            )
        from manywheel.toolchains.zig import policy_glibc, zig_binary

        policy_glibc(run.manylinux_policy, session.resolver.source_of("manylinux-policy"))
        zig_binary()  # missing ziglang: say so before any job starts
    return session


def make_build_plan(session: Session, only: str | None = None, shard: str | None = None) -> Plan:
    run = session.resolver.run
    plan = make_plan(
        session.resolver, session.project, candidates(run, session.environ), host_arch(), only
    )
    if shard:
        index, count = parse_shard(shard)
        plan = Plan(plan.platform, tuple(shard_jobs(plan.jobs, index, count, host_arch())))
    return plan


def backend_for(session: Session, output_dir: Path) -> Backend:
    run = session.resolver.run
    # --no-cache builds everything afresh: the compiler cache too
    compiler_cache = run.compiler_cache if run.cache else "off"
    if run.platform == "native":
        from manywheel.backends.native import NativeBackend

        return NativeBackend(session.project, {output_dir.resolve()}, compiler_cache=compiler_cache)
    from manywheel.backends.containers import container_backend

    return container_backend(
        session.project, run, {output_dir.resolve()}, compiler_cache=compiler_cache
    )


@dataclass(frozen=True)
class BuildOutcome:
    results: list[JobResult]
    kept: list[str]  # how to enter each environment kept for inspection (--keep-container)
    start_errors: list[GroupNotStarted] = field(default_factory=list)  # once per group
    cleanup_errors: list[str] = field(default_factory=list)


def build(
    session: Session, plan: Plan, reporter: Reporter, *, debug_shell: bool = False
) -> BuildOutcome:
    run = session.resolver.run
    wheelhouse = Wheelhouse(Path(run.output_dir))
    wheelhouse.ensure()
    logs = RunLogs(Path(run.log_dir) if run.log_dir else default_log_root())
    cache, digest = None, ""
    if run.cache:
        exclude = {wheelhouse.path.resolve()}
        cache = WheelCache(default_cache_root(), run.cache_size * 2**20)
        digest = project_digest(session.project.path, exclude)
    scheduler = Scheduler(
        plan=plan,
        backend=backend_for(session, wheelhouse.path),
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
    )
    results = scheduler.run()
    return BuildOutcome(results, scheduler.kept, scheduler.start_errors, scheduler.cleanup_errors)
