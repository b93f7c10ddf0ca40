"""manywheel migrate keeps cibuildwheel's build-frontend with its arguments, in either form."""

from __future__ import annotations

import pytest

from manywheel.ci.migrate import migrate
from manywheel.config.resolve import OptionsResolver, load_config
from manywheel.errors import ConfigError


def test_arguments_are_kept_and_load_as_manywheels_own() -> None:
    document = {"tool": {"cibuildwheel": {"build-frontend": "pip; args: --no-build-isolation"}}}
    result = migrate(document, {})
    assert result.table["build-frontend"] == "pip; args: --no-build-isolation"
    assert result.notes == []
    config = load_config({"tool": {"manywheel": result.table}}, "pyproject.toml", {}, {})
    frontend = OptionsResolver(config).run.build_frontend
    assert (frontend.name, frontend.args) == ("pip", ("--no-build-isolation",))


def test_the_table_form_and_the_variable() -> None:
    table = {"name": "build", "args": ["--no-isolation", "--skip-dependency-check"]}
    result = migrate({"tool": {"cibuildwheel": {"build-frontend": table}}}, {})
    assert result.table["build-frontend"] == "build; args: --no-isolation --skip-dependency-check"
    from_env = migrate({}, {"CIBW_BUILD_FRONTEND": "build[uv]"})
    assert from_env.table["build-frontend"] == "build[uv]"


def test_a_frontend_manywheel_has_not_is_an_error_naming_the_key() -> None:
    with pytest.raises(ConfigError) as info:
        migrate({"tool": {"cibuildwheel": {"build-frontend": "poetry"}}}, {})
    assert str(info.value).startswith(
        "tool.cibuildwheel.build-frontend: 'poetry' is not valid; expected one of 'default', "
    )
