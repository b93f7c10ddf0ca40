"""Running the real Scheduler over a FakeBackend in a temp dir."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from manywheel.caching.warm_records import WarmRecords
from manywheel.caching.wheel_cache import WheelCache
from manywheel.planning.build_system import BuildSystem
from manywheel.planning.plan import Plan
from manywheel.run.compile_order import Signature, flag_signature
from manywheel.run.logs import RunLogs
from manywheel.run.reporting import Reporter
from manywheel.run.results import JobResult
from manywheel.run.scheduler import Scheduler
from manywheel.run.wheelhouse import Wheelhouse
from tests.fast.fakes import FakeBackend


@dataclass
class Outcome:
    scheduler: Scheduler
    results: dict[str, JobResult]
    output: str
    wheelhouse: Path

    def status(self) -> dict[str, str]:
        return {name: r.status for name, r in self.results.items()}


def make_scheduler(
    tmp_path: Path,
    plan: Plan,
    backend: FakeBackend,
    *,
    jobs: int = 2,
    fail_fast: bool = False,
    cache: WheelCache | None = None,
    stream: io.StringIO | None = None,
    limited_api: bool = False,
    source_date_epoch: int | None = None,
    share_objects: bool = False,
    warm_records: WarmRecords | None = None,
    build_system: BuildSystem | None = None,
    cores: int = 1,  # the machine's would make the builds' variables depend on it
    signature: Signature = flag_signature,
) -> Scheduler:
    wheelhouse = Wheelhouse(tmp_path / "wheelhouse")
    wheelhouse.ensure()
    return Scheduler(
        plan=plan,
        backend=backend,
        wheelhouse=wheelhouse,
        logs=RunLogs(tmp_path / "logs"),
        reporter=Reporter(stream or io.StringIO()),
        jobs=jobs,
        fail_fast=fail_fast,
        cache=cache,
        project_digest="dir:fake",
        limited_api=limited_api,
        source_date_epoch=source_date_epoch,
        share_objects=share_objects,
        warm_records=warm_records,
        build_system=build_system,
        cores=cores,
        signature=signature,
    )


def run(tmp_path: Path, plan: Plan, backend: FakeBackend, **kwargs: object) -> Outcome:
    stream = io.StringIO()
    scheduler = make_scheduler(tmp_path, plan, backend, stream=stream, **kwargs)  # type: ignore[arg-type]
    results = scheduler.run()
    return Outcome(
        scheduler, {r.identifier: r for r in results}, stream.getvalue(), tmp_path / "wheelhouse"
    )
