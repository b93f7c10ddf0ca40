"""Integration tests get their own cache, logs and temp dir, so runs never share state."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for var in [v for v in __import__("os").environ if v.startswith("MANYWHEEL_")]:
        monkeypatch.delenv(var)
    state = tmp_path_factory.mktemp("manywheel-state")
    monkeypatch.setenv("MANYWHEEL_CACHE_DIR", str(state / "cache"))
    monkeypatch.setenv("MANYWHEEL_LOG_DIR", str(state / "logs"))


@pytest.fixture(scope="session")
def sdists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real sdists from the package index, downloaded once per machine."""
    import subprocess
    import sys

    cache = Path.home() / ".cache" / "manywheel-tests" / "sdists"
    cache.mkdir(parents=True, exist_ok=True)
    for req in ("markupsafe==3.0.3", "msgpack==1.1.1"):
        name = req.split("==", maxsplit=1)[0]
        if not list(cache.glob(f"{name}-*.tar.gz")):
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    "--dest",
                    str(cache),
                    req,
                ],
                check=True,
            )
    return cache
