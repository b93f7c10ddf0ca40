"""[tool.manywheel]'s JSON schema accepts what the option parsers accept (it may be looser,
never stricter), and validate-pyproject finds it through the entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import tomllib
from validate_pyproject import api, cli

from manywheel.config.declarations import OPTIONS
from manywheel.config.resolve import load_config
from manywheel.config.toml_schema import get_schema
from manywheel.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
# a value of every shape TOML gives, right or wrong for one option or another
SAMPLES: list[Any] = [
    "",
    "cp312-*",
    "auto",
    "warn",
    "default",
    "4",
    "true",
    "A=1 B=2",
    "pip; args: --no-build-isolation",
    "podman; create_args: --ulimit nofile=1024",
    ">=3.10",
    ["cp312-*", "cp313-*"],
    ["pypy"],
    [1],
    4,
    0,
    -1,
    True,
    {"A": "1", "B": 2},
    {"setup-args": ["-Da=1", "-Db=2"]},
    {"name": "pip", "args": ["--no-build-isolation"]},
    {"name": "poetry"},
]


def accepted_by_manywheel(table: dict[str, Any]) -> bool:
    try:
        load_config({"tool": {"manywheel": table}}, "pyproject.toml", {}, {})
    except ConfigError:
        return False
    return True


VALIDATOR = jsonschema.Draft7Validator(get_schema())


def valid(table: dict[str, Any]) -> bool:
    return VALIDATOR.is_valid(table)


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_whatever_an_option_accepts_the_schema_accepts(name: str) -> None:
    accepted = [value for value in SAMPLES if accepted_by_manywheel({name: value})]
    assert accepted, f"no sample fits {name}"
    for value in accepted:
        assert valid({name: value}), (name, value)
        assert valid({"overrides": [{"select": "cp312-*", name: value}]}) or (
            OPTIONS[name].scope == "run"
        )


def test_what_the_schema_refuses() -> None:
    jsonschema.Draft7Validator.check_schema(get_schema())
    assert not valid({"jobz": 4})  # an unknown key
    assert not valid({"jobs": "many"})
    assert not valid({"build-frontend": "poetry"})
    assert not valid({"build-frontend": {"name": "pip", "flags": []}})
    assert not valid({"container-engine": "lxc"})
    assert not valid({"overrides": [{"test-command": "pytest"}]})  # no select
    assert not valid({"overrides": [{"select": "*", "jobs": 2}]})  # a run option


def test_validate_pyproject_finds_it_for_the_projects_own_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    validator = api.Validator()
    checked = 0
    for path in [ROOT / "pyproject.toml", *sorted((ROOT / "examples").glob("*/pyproject.toml"))]:
        document = tomllib.loads(path.read_text())
        if "manywheel" in document.get("tool", {}):
            validator(document)
            checked += 1
    assert checked  # examples/spam has a [tool.manywheel] table
    wrong = {"project": {"name": "x", "version": "1"}, "tool": {"manywheel": {"jobz": 4}}}
    with pytest.raises(Exception, match="jobz"):
        validator(wrong)
    bad = tmp_path / "pyproject.toml"
    bad.write_text('[project]\nname = "x"\nversion = "1"\n[tool.manywheel]\njobs = "many"\n')
    with pytest.raises(SystemExit) as exited:
        cli.main([str(bad)])
    assert exited.value.code != 0
    assert "`tool.manywheel.jobs` must be valid" in caplog.text
