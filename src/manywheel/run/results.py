"""What a job produced: status, wheel, timings, and on failure the step and log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from manywheel.caching.compiler_stats import CompilerStats
from manywheel.diagnose.libc_floor import LibcFloor, wheel_warning

# not-started: its group could not start (engine, image, before-all); see Scheduler.start_errors
Status = Literal["success", "failed", "cancelled", "not-started"]


@dataclass
class JobResult:
    identifier: str
    status: Status = "cancelled"
    wheel: Path | None = None
    seconds: float = 0.0
    log: Path | None = None
    log_end: int | None = None  # where the failed command's lines end in it (StepFailed.log_end)
    failed_step: str | None = None
    failed_command: str | None = None
    error: str | None = None
    tested: bool = False
    cached: bool = False  # restored from the build cache instead of built
    reused_from: str | None = None  # an abi3 wheel built by this earlier identifier
    timings: dict[str, float] = field(default_factory=dict)
    compiler_stats: CompilerStats | None = None  # what ccache did for its build, if it compiled
    # what a user should know about a wheel that was built (libc floor, GIL re-enabled)
    warnings: list[str] = field(default_factory=list)

    @property
    def size(self) -> int | None:
        return self.wheel.stat().st_size if self.wheel and self.wheel.exists() else None


def add_floor_warnings(
    results: Sequence[JobResult], host: LibcFloor | None, *, native: bool, toolchain: str
) -> None:
    """Warn, per wheel, where a native build with the host's compiler raised the floor."""
    if not native or toolchain != "default":
        return
    for result in results:
        if result.wheel is not None and result.status == "success":
            warning = wheel_warning(result.wheel.name, host)
            if warning:
                result.warnings.append(warning)
