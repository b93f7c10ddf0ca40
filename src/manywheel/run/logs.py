"""Per-job log files on disk, one directory per run; old runs are pruned."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

KEEP_RUNS = 20


def default_log_root() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(cache) / "manywheel" / "logs"


class RunLogs:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        runs = sorted(p for p in root.iterdir() if p.is_dir())
        for old in runs[: max(0, len(runs) - KEEP_RUNS + 1)]:
            shutil.rmtree(old, ignore_errors=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.dir = root / f"{stamp}-{os.getpid()}"
        self.dir.mkdir(parents=True, exist_ok=True)

    def for_job(self, name: str) -> Path:
        path = self.dir / f"{name}.log"
        path.touch()
        return path
