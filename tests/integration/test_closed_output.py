"""Output read only in part (`manywheel plan | head -1`): the command ends quietly with
128 + SIGPIPE, as shell tools do, instead of reporting an internal error."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.running import start_manywheel

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "spam"


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    proc = start_manywheel("plan", str(EXAMPLE), "--json")
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()  # the reader is gone before anything is written
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == 128 + signal.SIGPIPE, stderr
    assert stderr == ""
