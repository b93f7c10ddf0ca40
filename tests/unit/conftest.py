"""Unit tests: pure functions and small objects, no process (tests/conftest.py refuses one in
any test not marked integration), and no MANYWHEEL_* variable from the caller's shell."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in list(os.environ):
        if var.startswith("MANYWHEEL_"):
            monkeypatch.delenv(var)
