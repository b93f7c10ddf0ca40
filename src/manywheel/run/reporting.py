"""Progress lines while jobs run, the final summary, failure details and the JSON report."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from packaging.utils import parse_wheel_filename
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from manywheel import __version__
from manywheel.files import atomic_write_text, sha256_file, tail
from manywheel.planning.plan import Unavailable
from manywheel.release.reproducible import SourceDate
from manywheel.release.vendored import vendored_libraries
from manywheel.run.results import JobResult

REPORT_SCHEMA_VERSION = 1


class Reporter:
    """One line per state change, never interleaved (jobs run in threads)."""

    def __init__(self, stream: IO[str], quiet: bool = False) -> None:
        self._stream = stream
        self._quiet = quiet
        self._lock = threading.Lock()
        self._start = time.monotonic()

    def line(self, text: str) -> None:
        if self._quiet:
            return
        with self._lock:
            elapsed = time.monotonic() - self._start
            self._stream.write(f"[{elapsed:6.1f}s] {text}\n")
            self._stream.flush()

    def job_started(self, name: str) -> None:
        self.line(f"{name}: started")

    def step(self, name: str, step: str) -> None:
        self.line(f"{name}: {step}")

    def job_finished(self, result: JobResult) -> None:
        if result.status == "success":
            wheel = result.wheel.name if result.wheel else "?"
            tested = "tested" if result.tested else "not tested"
            if result.cached:
                tested += ", from cache"
            if result.reused_from:
                tested += f", abi3 wheel of {result.reused_from}"
            self.line(f"{result.identifier}: ok, {wheel} ({tested}, {result.seconds:.1f}s)")
        elif result.status == "failed":
            self.line(
                f"{result.identifier}: FAILED in {result.failed_step} ({result.seconds:.1f}s)"
            )
        else:
            self.line(f"{result.identifier}: {result.status.replace('-', ' ')}")


def _size(num: int | None) -> str:
    if num is None:
        return "-"
    return f"{num / 1024:.0f} KiB" if num < 1024 * 1024 else f"{num / 2**20:.1f} MiB"


def _wheel_cell(result: JobResult) -> str:
    if result.wheel is None:
        return "-"
    if result.reused_from:
        tested = "tested here" if result.tested else "not tested"
        return f"{result.wheel.name} (built by {result.reused_from}, {tested})"
    return result.wheel.name


def print_summary(console: Console, results: Sequence[JobResult], tail_lines: int = 30) -> None:
    for result in results:
        if result.status != "failed":
            continue
        console.print(
            f"\n[bold red]{result.identifier} failed[/] in step "
            f"[bold]{result.failed_step}[/]: {escape(result.error or '')}",
            highlight=False,
        )
        if result.failed_command:
            console.print(f"command: {result.failed_command}", markup=False, highlight=False)
        if result.log is not None:
            lines = tail(result.log, tail_lines, end=result.log_end)
            if lines:
                console.print(f"last {len(lines)} lines of the log:", highlight=False)
                console.print(
                    "\n".join("    " + line for line in lines), markup=False, highlight=False
                )
            console.print(f"full log: {result.log}", markup=False, highlight=False)
    console.print(_summary_table(results))
    for result in results:
        for warning in result.warnings:
            console.print(f"[yellow]warning[/] {result.identifier}: {warning}", highlight=False)


def _summary_table(results: Sequence[JobResult]) -> Table:
    table = Table(title="manywheel summary", title_justify="left")
    # a column only when some job compiled through ccache: a run without it keeps its table
    ccache = any(r.compiler_stats is not None for r in results)
    columns = ["identifier", "status", "wheel", "vendored", *(["ccache"] if ccache else [])]
    for column in [*columns, "size", "seconds"]:
        table.add_column(column, justify="right" if column in ("size", "seconds") else "left")
    styles = {"success": "green", "failed": "red", "cancelled": "yellow", "not-started": "red"}
    for result in results:
        stats = result.compiler_stats
        table.add_row(
            result.identifier,
            f"[{styles[result.status]}]{result.status}[/]",
            _wheel_cell(result),
            _vendored(result.wheel),
            *([stats.hit_ratio() if stats else "-"] if ccache else []),
            _size(result.size),
            f"{result.seconds:.1f}",
        )
    return table


def _vendored(wheel: Path | None) -> str:
    found = vendored_libraries(wheel) if wheel is not None else ()
    return ", ".join(v.shown() for v in found) or "-"


def report_document(
    results: Sequence[JobResult],
    platform: str,
    source_date: SourceDate | None = None,
    *,
    unavailable: Sequence[Unavailable] = (),
) -> dict[str, Any]:
    jobs = []
    for r in results:
        digest = None
        if r.wheel is not None and r.wheel.exists():
            digest = sha256_file(r.wheel)
        jobs.append(
            {
                "identifier": r.identifier,
                "status": r.status,
                "wheel": str(r.wheel) if r.wheel else None,
                "sha256": digest,
                "size": r.size,
                "seconds": r.seconds,
                "policy": _platform_tags(r.wheel),
                "vendored": [dataclasses.asdict(v) for v in vendored_libraries(r.wheel)]
                if r.wheel is not None and r.wheel.exists()
                else None,
                "tested": r.tested,
                "cached": r.cached,
                "reused_from": r.reused_from,
                "timings": r.timings,
                "compiler_cache": r.compiler_stats.as_json() if r.compiler_stats else None,
                "failed_step": r.failed_step,
                "error": r.error,
                "warnings": r.warnings,
                "log": str(r.log) if r.log else None,
            }
        )
    document: dict[str, Any] = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "manywheel_version": __version__,
        "platform": platform,
        "jobs": jobs,
        # selected identifiers this platform cannot build: a report shows what is missing too
        "unavailable": [{"identifier": str(u.identifier), "reason": u.reason} for u in unavailable],
    }
    if source_date is not None:
        document["source_date_epoch"] = source_date.epoch
        document["source_date_epoch_from"] = source_date.origin
    return document


def _platform_tags(wheel: Path | None) -> list[str] | None:
    """The wheel's platform tags (manylinux_2_17_x86_64, ...), from its file name."""
    if wheel is None:
        return None
    _, _, _, tags = parse_wheel_filename(wheel.name)
    return sorted({tag.platform for tag in tags})


def step_summary(results: Sequence[JobResult]) -> str:
    """A Markdown table for $GITHUB_STEP_SUMMARY."""
    lines = [
        "### manywheel",
        "",
        "| identifier | status | wheel | seconds |",
        "| --- | --- | --- | --- |",
    ]
    for r in results:
        status = r.status if r.status != "failed" else f"failed in {r.failed_step}"
        lines.append(
            f"| {r.identifier} | {status} | {r.wheel.name if r.wheel else '-'} | {r.seconds:.1f} |"
        )
    return "\n".join(lines) + "\n"


def write_report(path: Path, document: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(document, indent=2) + "\n")
