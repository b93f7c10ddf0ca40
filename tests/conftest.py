"""Every test gets its own manywheel cache and log dir, so runs never share state; tests not
marked integration (tests/unit, tests/fast) start no process; real sdists are downloaded once
per machine."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.projects import SDIST_CACHE, real_sdist


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for var in [v for v in os.environ if v.startswith("MANYWHEEL_")]:
        monkeypatch.delenv(var)
    state = tmp_path_factory.mktemp("manywheel-state")
    monkeypatch.setenv("MANYWHEEL_CACHE_DIR", str(state / "cache"))
    monkeypatch.setenv("MANYWHEEL_LOG_DIR", str(state / "logs"))


@pytest.fixture(autouse=True)
def _no_subprocess(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in cibuildwheel's unit tests: a test that is not marked integration and tries to start
    a process (subprocess.run, Popen, check_output...) is a test bug, and fails saying so."""
    if request.node.get_closest_marker("integration") is not None:
        return

    def refuse(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        raise AssertionError(f"tests not marked integration must not start processes: {args!r}")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)


@pytest.fixture(scope="session")
def sdists() -> Path:
    """The directory holding real sdists (markupsafe, msgpack) from the package index."""
    for requirement in ("markupsafe==3.0.3", "msgpack==1.1.1"):
        real_sdist(requirement)
    return SDIST_CACHE
