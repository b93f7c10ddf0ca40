"""manywheel migrate: cibuildwheel's variables without a TOML key, and keys it leaves out."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from cibuildwheel.options import InheritRule, ListFormat, OptionsReader

from manywheel.ci.migrate import migrate
from manywheel.ci.variables import MANYWHEEL_ONLY
from manywheel.config.declarations import OPTIONS
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


def test_the_variables_read_are_cibuildwheel_s_own() -> None:
    # every option manywheel has is either one of cibuildwheel's (a key of its defaults.toml)
    # or named as manywheel's own, whose CIBW_* name cibuildwheel does not read
    defaults = resources.files("cibuildwheel") / "resources" / "defaults.toml"
    theirs = set(tomllib.loads(defaults.read_text())["tool"]["cibuildwheel"])
    assert set(OPTIONS) - set(MANYWHEEL_ONLY) == set(OPTIONS) & theirs
    environ = {"CIBW_JOBS": "3", "CIBW_CACHE": "0", "CIBW_SYSTEM_PACKAGES": "libffi"}
    assert migrate({}, environ).table == {}


def test_cibuildwheel_s_platform_is_a_note_not_manywheel_s_platform() -> None:
    result = migrate({}, {"CIBW_PLATFORM": "linux"})
    assert result.table == {}
    assert result.notes == [
        "CIBW_PLATFORM=linux (cibuildwheel's target system: manywheel builds Linux wheels, and "
        "its platform option says where: native, docker or podman)"
    ]


def test_variables_read_as_cibuildwheel_reads_them(tmp_path: Path) -> None:
    text = """
[tool.cibuildwheel]
archs = ["x86_64", "aarch64"]
enable = ["pypy"]
build = "cp31*"
manylinux-x86_64-image = "manylinux2014"
"""
    environ = {
        "CIBW_ARCHS": "",  # empty: the table's stays
        "CIBW_MANYLINUX_X86_64_IMAGE_LINUX": "",
        "CIBW_ENABLE": "cpython-freethreading",  # added to the table's
        "CIBW_BUILD_LINUX": "cp312-*",  # not read: build has no per-platform variable
        "CIBW_SKIP": "",
        "CIBW_TEST_COMMAND_LINUX": "pytest",
        "CIBW_DEBUG_KEEP_CONTAINER": "yes",
        "CIBW_ALLOW_EMPTY": "1",
    }
    result = migrate(tomllib.loads(text), environ)
    assert result.table == {
        "archs": "x86_64 aarch64",
        "enable": ["pypy", "cpython-freethreading"],
        "build": "cp31*",
        "manylinux-x86_64-image": "manylinux2014",
        "skip": "",
        "test-command": "pytest",
        "keep-container": True,
        "allow-empty": True,
    }
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(text)
    reader = OptionsReader(pyproject, platform="linux", env=environ)
    spaced = ListFormat(sep=" ")
    assert reader.get("archs", option_format=spaced, ignore_empty=True) == "x86_64 aarch64"
    assert reader.get(
        "enable", env_plat=False, option_format=spaced, default_env_rule=InheritRule.APPEND
    ) == ("pypy cpython-freethreading")
    assert reader.get("build", env_plat=False, option_format=spaced) == "cp31*"
    assert reader.get("manylinux-x86_64-image", ignore_empty=True) == "manylinux2014"


def test_a_key_only_manywheel_has_is_not_read_from_a_cibuildwheel_table() -> None:
    table = {"platform": "linux", "jobs": 3, "test-command": "pytest"}
    result = migrate({"tool": {"cibuildwheel": table}}, {})
    assert result.table == {"test-command": "pytest"}
    assert result.notes == [
        "tool.cibuildwheel.platform (not a cibuildwheel option)",
        "tool.cibuildwheel.jobs (not a cibuildwheel option)",
    ]
