"""Building the source distribution from a clean copy of the project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from manywheel.config.credentials import without_credentials
from manywheel.errors import ManywheelError
from manywheel.files import atomic_write
from manywheel.planning.project import Project
from manywheel.planning.source_copy import copy_project


def build_sdist(
    project: Project, output_dir: Path, log: Path | None = None, pass_names: Iterable[str] = ()
) -> Path:
    """Build (or, for an sdist input, copy) the sdist into output_dir, atomically. The build
    backend runs the project's code: it gets no credentials but those in ``pass_names``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    if project.is_sdist:
        return _land(project.path, output_dir)
    with tempfile.TemporaryDirectory(prefix="manywheel-sdist-") as tmp:
        source = copy_project(project.path, Path(tmp), {output_dir.resolve()})
        dist = Path(tmp) / "dist"
        proc = subprocess.run(
            [sys.executable, "-m", "build", "--sdist", "--outdir", str(dist), str(source)],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            env=without_credentials(os.environ, pass_names),
        )
        if log is not None:
            log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
        sdists = list(dist.glob("*.tar.gz")) if dist.is_dir() else []
        if proc.returncode != 0 or len(sdists) != 1:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            raise ManywheelError(
                f"building the sdist of {project.path} failed (python -m build --sdist exited "
                f"with status {proc.returncode}). Its last lines:\n{tail}"
            )
        return _land(sdists[0], output_dir)


def _land(src: Path, output_dir: Path) -> Path:
    return atomic_write(output_dir / src.name, lambda partial: shutil.copyfile(src, partial))
