"""Running manywheel as a user would, and checking that nothing was lost or left behind."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.integration.containers import LABEL_ENV, tree_digest
from tests.running import manywheel, start_manywheel

__all__ = ["Run", "leftovers", "tree_digest"]


class Run:
    """One manywheel invocation in its own TMPDIR, output dir and environment."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.tmp = tmp_path / "tmp"
        self.tmp.mkdir(exist_ok=True)
        self.out = tmp_path / "wheelhouse"
        self.env = {**os.environ, "TMPDIR": str(self.tmp), **LABEL_ENV, **env}

    def __call__(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return manywheel(*args, env=self.env, timeout=timeout)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return start_manywheel(*args, env=self.env)


def leftovers(run: Run) -> list[str]:
    """Temp dirs and partial files a run must never leave."""
    found = [str(p) for p in run.tmp.iterdir()]
    if run.out.exists():
        found += [
            str(p) for p in run.out.iterdir() if p.name.startswith(".") or p.suffix == ".part"
        ]
    return found
