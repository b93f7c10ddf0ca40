"""Running manywheel as a user would, and checking that nothing was lost or left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.integration.containers import tree_digest

__all__ = ["Run", "leftovers", "tree_digest"]


class Run:
    """One manywheel invocation in its own TMPDIR, output dir and environment."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.tmp = tmp_path / "tmp"
        self.tmp.mkdir(exist_ok=True)
        self.out = tmp_path / "wheelhouse"
        self.env = {**os.environ, "TMPDIR": str(self.tmp), **env}

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "manywheel", *args]

    def __call__(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            capture_output=True,
            text=True,
            env=self.env,
            check=False,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            stdin=subprocess.DEVNULL,
        )


def leftovers(run: Run) -> list[str]:
    """Temp dirs and partial files a run must never leave."""
    found = [str(p) for p in run.tmp.iterdir()]
    if run.out.exists():
        found += [
            str(p) for p in run.out.iterdir() if p.name.startswith(".") or p.suffix == ".part"
        ]
    return found


def one_paragraph_error(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [ln for ln in stderr.splitlines() if ln.startswith("manywheel: error:")]
    assert len(lines) == 1, stderr
    return lines[0]
