"""The summary table's wheel cell for an abi3 wheel another identifier built: it says whether
this identifier tested it, as the run's own line does."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from manywheel.run.reporting import print_summary
from manywheel.run.results import JobResult

WHEEL = Path("psutil-7.2.2-cp36-abi3-manylinux_2_17_x86_64.whl")


def _row(result: JobResult) -> str:
    out = io.StringIO()
    print_summary(Console(file=out, width=250), [result])
    return next(line for line in out.getvalue().splitlines() if result.identifier in line)


def test_a_reused_wheel_tested_here_says_so() -> None:
    result = JobResult(
        "cp313-manylinux_x86_64",
        status="success",
        wheel=WHEEL,
        tested=True,
        reused_from="cp311-manylinux_x86_64",
    )
    assert "(built by cp311-manylinux_x86_64, tested here)" in _row(result)


def test_a_reused_wheel_without_a_test_is_not_called_tested() -> None:
    result = JobResult(
        "cp313-manylinux_x86_64",
        status="success",
        wheel=WHEEL,
        reused_from="cp311-manylinux_x86_64",
    )
    row = _row(result)
    assert "(built by cp311-manylinux_x86_64, not tested)" in row
    assert "tested here" not in row
