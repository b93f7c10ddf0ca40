"""Environment values that run a command ($(...), backticks): cibuildwheel runs it in the
container; manywheel does not, and says so instead of passing the characters to the build."""

from __future__ import annotations

import pytest

from manywheel.ci.migrate import migrate
from manywheel.config.resolve import load_config
from manywheel.errors import ConfigError


@pytest.mark.parametrize(
    ("table", "said"),
    [
        (
            {"environment": {"PATH": "$(pwd)/bin:$PATH"}},
            "pyproject.toml: tool.manywheel.environment: PATH = '$(pwd)/bin:$PATH' runs a "
            "command ($(...) or backticks), which manywheel does not do in environment values: "
            'only $VAR and ${VAR} expand. Write the value itself (PATH = "/opt/tool/bin:$PATH"); '
            "a value that only a command can tell is not supported yet.",
        ),
        (
            {"test-environment": "A=1 STAMP=`date`"},
            "pyproject.toml: tool.manywheel.test-environment: STAMP = '`date`' runs a command "
            "($(...) or backticks), which manywheel does not do in environment values: only "
            '$VAR and ${VAR} expand. Write the value itself (STAMP = "/opt/tool/bin:$PATH"); a '
            "value that only a command can tell is not supported yet.",
        ),
    ],
)
def test_a_value_that_runs_a_command_is_refused(table: dict[str, object], said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config({"tool": {"manywheel": table}}, "pyproject.toml", {}, {})
    assert caught.value.message == said


def test_plain_variables_still_expand_later() -> None:
    sources = load_config(
        {"tool": {"manywheel": {"environment": {"PATH": "/opt/x/bin:$PATH"}}}},
        "pyproject.toml",
        {},
        {},
    )
    assert sources.file_values["environment"] == (("PATH", "/opt/x/bin:$PATH"),)


def test_migrate_leaves_such_a_value_out_with_a_note() -> None:
    document = {
        "tool": {"cibuildwheel": {"environment": {"CFLAGS": "-O2", "PATH": "$(pwd)/bin:$PATH"}}}
    }
    result = migrate(document, {"CIBW_TEST_ENVIRONMENT": 'STAMP="$(date)"'})
    assert result.table["environment"] == {"CFLAGS": "-O2"}
    assert "test-environment" not in result.table
    assert result.notes == [
        "tool.cibuildwheel.environment.PATH = '$(pwd)/bin:$PATH' (runs a command: not "
        "supported yet)",
        "CIBW_TEST_ENVIRONMENT.STAMP = '$(date)' (runs a command: not supported yet)",
    ]
