"""Every test gets its own manywheel cache and log dir, so runs never share state; real
sdists are downloaded once per machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.projects import SDIST_CACHE, real_sdist


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for var in [v for v in os.environ if v.startswith("MANYWHEEL_")]:
        monkeypatch.delenv(var)
    state = tmp_path_factory.mktemp("manywheel-state")
    monkeypatch.setenv("MANYWHEEL_CACHE_DIR", str(state / "cache"))
    monkeypatch.setenv("MANYWHEEL_LOG_DIR", str(state / "logs"))


@pytest.fixture(scope="session")
def sdists() -> Path:
    """The directory holding real sdists (markupsafe, msgpack) from the package index."""
    for requirement in ("markupsafe==3.0.3", "msgpack==1.1.1"):
        real_sdist(requirement)
    return SDIST_CACHE
