"""manywheel migrate reads cibuildwheel's variables that have no TOML key in cibuildwheel."""

from __future__ import annotations

from manywheel.ci.migrate import migrate


def test_project_requires_python_is_kept() -> None:
    result = migrate({}, {"CIBW_PROJECT_REQUIRES_PYTHON": ">=3.10"})
    assert result.table == {"project-requires-python": ">=3.10"}
    assert result.notes == []
