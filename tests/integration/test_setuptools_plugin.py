"""The setuptools plugin's checks against real setuptools (setuptools_plugin_checks.py), run by
pytest in an interpreter of their own, as the plugin runs in a build backend's. setuptools
replaces distutils in the process that imports it, and a test process where pip or the
standard library's distutils came first (the suite's other tests import them) leaves
setuptools' commands checking their arguments against another copy of distutils."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

CHECKS = Path(__file__).with_name("setuptools_plugin_checks.py")
ROOT = Path(__file__).parents[2]


def test_the_plugin_against_real_setuptools() -> None:
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(CHECKS)]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # 5: none collected, 1: one failed
    summary = proc.stdout.strip().splitlines()[-1]
    assert " passed" in summary
    assert "failed" not in summary
    assert "skipped" not in summary
