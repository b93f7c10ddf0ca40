"""The documentation site builds with MkDocs and the Material theme, strictly: a broken link
or anchor, a page missing from the navigation, or a bad extension fails the build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's banner about its successor
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, (
        f"mkdocs build --strict failed (needs the docs extra: pip install -e '.[test,docs]'):\n"
        f"{proc.stdout}{proc.stderr}"
    )
    assert "WARNING" not in proc.stderr
    pages = {p.parent.name for p in tmp_path.glob("*/index.html")}
    assert {p.stem for p in (ROOT / "docs").glob("*.md")} - {"index"} <= pages
    options = (tmp_path / "options" / "index.html").read_text(encoding="utf-8")
    assert "MANYWHEEL_MANYLINUX_X86_64_IMAGE" in options
    assert 'name="generator" content="mkdocs-' in (tmp_path / "index.html").read_text("utf-8")
    assert "material" in (tmp_path / "index.html").read_text("utf-8")
