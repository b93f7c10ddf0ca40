"""Fresh venvs for trying built wheels, made with ``python -m venv`` as a user makes them.

The pip that ensurepip bundles with the older CPythons (3.8, 3.9) runs from its wheel and leaves
a copy of its CA bundle in the temp dir: the venv is made with TMPDIR in the test's own
directory, so that nothing is left in /tmp.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def fresh_venv(python: str, venv: Path) -> Path:
    """Make ``venv`` with ``python``; its Python."""
    env = {**os.environ, "TMPDIR": str(venv.parent)}
    subprocess.run([python, "-m", "venv", str(venv)], check=True, env=env)
    return venv / "bin" / "python"
