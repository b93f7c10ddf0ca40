"""manywheel migrate: cibuildwheel's variables without a TOML key, and keys it leaves out."""

from __future__ import annotations

from manywheel.ci.migrate import migrate


def test_project_requires_python_is_kept() -> None:
    result = migrate({}, {"CIBW_PROJECT_REQUIRES_PYTHON": ">=3.10"})
    assert result.table == {"project-requires-python": ">=3.10"}
    assert result.notes == []


def test_keys_of_other_platforms_say_why_they_are_left_out() -> None:
    table = {
        "manylinux-pypy_aarch64-image": "manylinux2014",
        "xbuild-tools": [],
        "test-runtime": {"args": ["--headless"]},
        "pyodide-version": "0.27.0",
    }
    result = migrate({"tool": {"cibuildwheel": table}}, {})
    assert result.table == {}
    assert result.notes == [
        "tool.cibuildwheel.manylinux-pypy_aarch64-image (manywheel builds PyPy in the "
        "manylinux-aarch64-image, as cibuildwheel 3 does)",
        "tool.cibuildwheel.xbuild-tools (iOS only)",
        "tool.cibuildwheel.test-runtime (Android, iOS and Pyodide only)",
        "tool.cibuildwheel.pyodide-version (Pyodide only)",
    ]
