"""Options: pyproject < MANYWHEEL_* environment < flags; overrides; every error names its source."""

from __future__ import annotations

from typing import Any

import pytest

from manywheel.config.resolve import OptionsResolver, load_config
from manywheel.errors import ConfigError


def resolver(
    table: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    cli: dict[str, tuple[Any, str]] | None = None,
) -> OptionsResolver:
    document = {"tool": {"manywheel": table}} if table is not None else None
    return OptionsResolver(load_config(document, "pyproject.toml", env or {}, cli or {}))


def error(
    table: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    cli: dict[str, tuple[Any, str]] | None = None,
) -> str:
    with pytest.raises(ConfigError) as info:
        resolver(table, env, cli)
    return str(info.value)


def test_defaults() -> None:
    run = resolver().run
    assert run.build == "*"
    assert run.platform == "native"
    assert run.repair_wheel_command == "auditwheel repair -w {dest_dir} {wheel}"
    assert run.image("manylinux", "x86_64") == ""


def test_precedence_file_env_cli() -> None:
    r = resolver(
        {"test-command": "from-file", "skip": "cp38-*", "jobs": 3},
        {"MANYWHEEL_TEST_COMMAND": "from-env", "MANYWHEEL_JOBS": "4"},
        {"jobs": ("5", "--jobs")},
    )
    assert r.run.test_command == "from-env"
    assert r.run.skip == "cp38-*"
    assert r.run.jobs == 5
    assert r.source_of("jobs") == "--jobs"
    assert r.source_of("test-command") == "MANYWHEEL_TEST_COMMAND"
    assert r.source_of("skip") == "pyproject.toml: tool.manywheel.skip"


def test_lists_and_strings_are_both_accepted() -> None:
    r = resolver(
        {
            "test-requires": ["pytest", "numpy>=2"],
            "before-build": ["a", "b"],
            "build": ["cp311-*", "cp312-*"],
        },
        {"MANYWHEEL_TEST_EXTRAS": "test speedups"},
    )
    assert r.run.test_requires == ("pytest", "numpy>=2")
    assert r.run.before_build == "a && b"
    assert r.run.build == "cp311-* cp312-*"
    assert r.run.test_extras == ("test", "speedups")


def test_environment_table_and_string() -> None:
    assert resolver({"environment": {"A": "1", "B": "$A:x"}}).run.environment == (
        ("A", "1"),
        ("B", "$A:x"),
    )
    env = {"MANYWHEEL_ENVIRONMENT": 'CFLAGS="-O2 -g" PATH=$PATH:/x'}
    assert resolver(env=env).run.environment == (("CFLAGS", "-O2 -g"), ("PATH", "$PATH:/x"))


def test_config_settings() -> None:
    r = resolver({"config-settings": {"setup-args": ["-Da=1", "-Db=2"], "k": "v"}})
    assert r.run.config_settings == (("setup-args", "-Da=1"), ("setup-args", "-Db=2"), ("k", "v"))


def test_build_frontend_with_arguments_in_both_of_cibuildwheels_forms() -> None:
    plain = resolver({"build-frontend": "build[uv]"}).run.build_frontend
    assert (plain.name, plain.args) == ("build[uv]", ())
    text = "pip; args: --no-build-isolation --config-settings 'a=b c'"
    given = resolver({"build-frontend": text}).run.build_frontend
    assert (given.name, given.args) == (
        "pip",
        ("--no-build-isolation", "--config-settings", "a=b c"),
    )
    table = {"name": "build", "args": ["--no-isolation", "-x"]}
    assert resolver({"build-frontend": table}).run.build_frontend.args == ("--no-isolation", "-x")
    env = {"MANYWHEEL_BUILD_FRONTEND": "uv ; args: --no-build-isolation"}
    from_env = resolver(env=env).run.build_frontend
    assert (from_env.name, from_env.args) == ("uv", ("--no-build-isolation",))
    assert str(from_env) == "uv; args: --no-build-isolation"


def test_overrides_apply_to_matching_identifiers_only() -> None:
    r = resolver(
        {
            "test-command": "base",
            "overrides": [
                {"select": "cp312-*", "test-command": "for-312"},
                {"select": ["cp312-*", "cp313-*"], "environment": {"X": "1"}},
            ],
        }
    )
    assert r.for_identifier("cp312-manylinux_x86_64").test_command == "for-312"
    assert r.for_identifier("cp312-manylinux_x86_64").environment == (("X", "1"),)
    assert r.for_identifier("cp311-manylinux_x86_64").test_command == "base"
    assert r.for_identifier("cp313-manylinux_x86_64").test_command == "base"


def test_environment_beats_overrides() -> None:
    r = resolver(
        {"overrides": [{"select": "*", "test-command": "override"}]},
        {"MANYWHEEL_TEST_COMMAND": "env"},
    )
    assert r.for_identifier("cp312-manylinux_x86_64").test_command == "env"


def test_unknown_key_suggests_the_closest() -> None:
    assert error({"test-comand": "x"}) == (
        "pyproject.toml: tool.manywheel: unknown option 'test-comand'. Did you mean "
        "'test-command'? The options reference (docs/options.md) lists every option."
    )


def test_unknown_environment_variable_suggests_the_closest() -> None:
    message = error(env={"MANYWHEEL_TEST_COMAND": "x"})
    assert message.startswith(
        "environment variable MANYWHEEL_TEST_COMAND: no such manywheel option."
    )
    assert "Did you mean 'MANYWHEEL_TEST_COMMAND'?" in message


def test_credentials_variables_are_not_options() -> None:
    """MANYWHEEL_USERNAME/PASSWORD/TOKEN are read by publish: not refused as unknown options,
    and no option takes their values (the resolved options go into plans and reports)."""
    credentials = {
        "MANYWHEEL_USERNAME": "u5er-name",
        "MANYWHEEL_PASSWORD": "pw-s3cret",
        "MANYWHEEL_TOKEN": "pypi-t0ken",
    }
    r = resolver(env=credentials)
    assert r.sources.env_values == {}
    assert r.run == resolver().run
    assert not any(value in repr(r.run) for value in credentials.values())


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            {"jobs": "many"},
            "pyproject.toml: tool.manywheel.jobs: 'many' is not valid; expected a whole number from 0 to 256.",
        ),
        (
            {"fail-fast": "maybe"},
            "pyproject.toml: tool.manywheel.fail-fast: 'maybe' is not valid; expected true or false",
        ),
        (
            {"build-frontend": "poetry"},
            "pyproject.toml: tool.manywheel.build-frontend: 'poetry' is not valid; expected one of 'default', 'build', 'build[uv]', 'uv', 'pip', optionally followed by '; args: ARGS' (or a table {name = ..., args = [...]}).",
        ),
        (
            {"archs": "x86_64 sparc"},
            "pyproject.toml: tool.manywheel.archs: 'sparc' is not valid; expected one of",
        ),
        (
            {"test-requires": 3},
            "pyproject.toml: tool.manywheel.test-requires: 3 is not valid; expected a string or a list of strings.",
        ),
        (
            {"environment": "NOEQUALS"},
            "pyproject.toml: tool.manywheel.environment: 'NOEQUALS' is not in KEY=VALUE form; write environment as KEY=VALUE pairs",
        ),
        (
            {"test-command": "pytest 'unclosed"},
            'pyproject.toml: tool.manywheel.test-command: the command "pytest \'unclosed" cannot be parsed as a shell command (No closing quotation). Check that every quote is closed.',
        ),
        (
            {"build-frontend": "pip; arg: -v"},
            "pyproject.toml: tool.manywheel.build-frontend: 'pip; arg: -v' is not valid; expected one of",
        ),
        (
            {"build-frontend": {"name": "pip", "args": "'--no-build-isolation"}},
            'pyproject.toml: tool.manywheel.build-frontend.args: cannot parse "\'--no-build-isolation" (No closing quotation); check the quotes.',
        ),
        (
            {"build-frontend": {"name": "pip", "flags": ["-v"]}},
            "pyproject.toml: tool.manywheel.build-frontend: {'name': 'pip', 'flags': ['-v']} is not valid; expected one of",
        ),
        (
            {"container-engine": "docker; create_args: --label 'x"},
            'pyproject.toml: tool.manywheel.container-engine: cannot parse "--label \'x" (No closing quotation); check the quotes.',
        ),
        (
            {"container-engine": "lxc"},
            "pyproject.toml: tool.manywheel.container-engine: unknown container engine 'lxc'",
        ),
    ],
)
def test_invalid_values_name_key_value_and_what_is_allowed(
    table: dict[str, Any], expected: str
) -> None:
    assert error(table).startswith(expected)


def test_invalid_flag_value_names_the_flag() -> None:
    assert error(cli={"jobs": ("-1", "--jobs")}) == (
        "--jobs: '-1' is not valid; expected a whole number from 0 to 256."
    )


def test_run_scope_options_cannot_be_overridden() -> None:
    message = error({"overrides": [{"select": "cp312-*", "jobs": 2}]})
    assert message.startswith(
        "pyproject.toml: tool.manywheel.overrides[0].jobs: 'jobs' applies to the whole run"
    )


def test_override_needs_select_and_valid_patterns() -> None:
    assert "has no 'select' key" in error({"overrides": [{"test-command": "x"}]})
    assert "matches no build identifier" in error({"overrides": [{"select": "py312-*"}]})
