"""Live progress on a terminal: one row per job with its current step and time (rich)."""

from __future__ import annotations

import threading
import time
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.table import Table

from manywheel.run.reporting import Reporter
from manywheel.run.results import JobResult

_STYLE = {"success": "green", "failed": "bold red", "cancelled": "yellow", "not-started": "red"}


class LiveReporter(Reporter):
    """Same events as Reporter, drawn as a table that updates in place."""

    def __init__(self, console: Console, names: list[str]) -> None:
        super().__init__(console.file)
        self._console = console
        self._rows: dict[str, tuple[str, float, float | None]] = dict.fromkeys(
            names, ("waiting", 0.0, None)
        )
        self._rows_lock = threading.Lock()
        self._live = Live(
            console=console, refresh_per_second=4, get_renderable=self._render, transient=True
        )

    def __enter__(self) -> LiveReporter:
        self._live.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._live.stop()

    def line(self, text: str) -> None:
        self._console.print(text, markup=False, highlight=False)

    def _set(self, name: str, state: str, done: bool = False) -> None:
        with self._rows_lock:
            _, started, _ = self._rows.get(name, ("", time.monotonic(), None))
            if not started:
                started = time.monotonic()
            self._rows[name] = (state, started, time.monotonic() if done else None)

    def job_started(self, name: str) -> None:
        self._set(name, "starting")

    def step(self, name: str, step: str) -> None:
        self._set(name, step)

    def job_finished(self, result: JobResult) -> None:
        state = result.status if result.status != "failed" else f"failed in {result.failed_step}"
        if result.cached and result.status == "success":
            state = "success (cache)"
        self._set(result.identifier, state, done=True)

    def _render(self) -> Table:
        table = Table(box=None, show_header=False, pad_edge=False)
        now = time.monotonic()
        with self._rows_lock:
            rows = list(self._rows.items())
        for name, (state, started, ended) in rows:
            seconds = ((ended or now) - started) if started else 0.0
            key = state.split()[0]
            style = _STYLE.get(key, "cyan" if started else "dim")
            table.add_row(name, f"[{style}]{state}[/]", f"{seconds:5.1f}s" if started else "")
        return table
