"""Fast orchestration tests: the scheduler, pipeline, steps, cache and wheelhouse driven by an
in-memory executor. No subprocess may start (as in tests/unit)."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _no_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"fast tests must not start processes: {args[:1]}")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
