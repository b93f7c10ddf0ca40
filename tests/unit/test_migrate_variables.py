"""manywheel migrate: cibuildwheel's variables without a TOML key, and keys it leaves out."""

from __future__ import annotations

import sys
from pathlib import Path

from cibuildwheel.options import ListFormat, OptionsReader

from manywheel.ci.migrate import migrate
from manywheel.config.resolve import OptionsResolver, load_config

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


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


def test_a_variable_wins_over_the_overrides_as_in_cibuildwheel(tmp_path: Path) -> None:
    text = """
[tool.cibuildwheel]
test-command = "pytest"
[[tool.cibuildwheel.overrides]]
select = "cp312-*"
test-command = "python -m x"
before-all = "yum install -y libffi-devel"
environment = { A = "1" }
[[tool.cibuildwheel.overrides]]
select = "cp313-*"
test-command = "python -m y"
"""
    environ = {"CIBW_TEST_COMMAND": "pytest -x", "CIBW_BEFORE_ALL_LINUX": "make deps"}
    result = migrate(tomllib.loads(text), environ)
    assert result.table == {
        "test-command": "pytest -x",
        "before-all": "make deps",
        "overrides": [{"select": "cp312-*", "environment": {"A": "1"}}],
    }
    assert result.notes == [
        "tool.cibuildwheel.overrides[0].test-command (CIBW_TEST_COMMAND is set, and wins over "
        "overrides in cibuildwheel)",
        "tool.cibuildwheel.overrides[0].system-packages (CIBW_BEFORE_ALL_LINUX is set, and wins "
        "over overrides in cibuildwheel)",
        "tool.cibuildwheel.overrides[1].test-command (CIBW_TEST_COMMAND is set, and wins over "
        "overrides in cibuildwheel)",
    ]
    # what cibuildwheel itself gives each identifier, and manywheel from the migration
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(text)
    reader = OptionsReader(pyproject, platform="linux", env=environ)
    resolver = OptionsResolver(load_config({"tool": {"manywheel": result.table}}, "x", {}, {}))
    command = ListFormat(sep=" && ")
    for identifier in ("cp312-manylinux_x86_64", "cp313-manylinux_x86_64"):
        ours = resolver.for_identifier(identifier)
        with reader.identifier(identifier):
            assert ours.test_command == reader.get("test-command", option_format=command)
            assert ours.before_all == reader.get("before-all", option_format=command)
