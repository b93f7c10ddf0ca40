"""manywheel migrate does what cibuildwheel's ``inherit`` in an override does: each identifier
gets from the migrated table what cibuildwheel's own options reader (the installed
cibuildwheel's OptionsReader) gives it from the original."""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from cibuildwheel.options import (
    EnvironmentFormat,
    ListFormat,
    OptionFormat,
    OptionsReader,
    ShlexTableFormat,
)

from manywheel.ci.inherit import CIBUILDWHEEL_DEFAULTS, COMMANDS, ENVIRONMENTS, WORDS
from manywheel.ci.migrate import migrate
from manywheel.config import parsers
from manywheel.config.model import Options
from manywheel.config.resolve import OptionsResolver, load_config

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

IDENTIFIERS = (
    "cp312-manylinux_x86_64",
    "cp311-manylinux_x86_64",
    "cp312-manylinux_i686",
    "cp313-musllinux_aarch64",
)

CASES = {
    "commands": """
[tool.cibuildwheel]
test-command = "pytest {project}/tests"
before-build = ["make a", "make b"]
[[tool.cibuildwheel.overrides]]
select = "cp312-*"
inherit = {test-command = "append", before-build = "prepend"}
test-command = ["python -c 'import x'", "python -m x --selftest"]
before-build = "make first"
""",
    "environment tables": """
[tool.cibuildwheel]
environment = {A = "1", B = "$A-2"}
[[tool.cibuildwheel.overrides]]
select = "cp312-*"
inherit.environment = "append"
environment = {C = "$B-3"}
""",
    "a name set on both sides": """
[tool.cibuildwheel]
environment = {PATH = "/top/bin:$PATH", CFLAGS = "-O2"}
[[tool.cibuildwheel.overrides]]
select = "cp312-*"
inherit.environment = "append"
environment = 'PATH="/override/bin:$PATH"'
""",
    "a name set on both sides, read by the later": """
[tool.cibuildwheel]
environment = {PATH = "/top/bin:$PATH", CFLAGS = "-O2", FLAGS = "$CFLAGS -g"}
[[tool.cibuildwheel.overrides]]
select = "cp312-*"
inherit.environment = "append"
environment = {CFLAGS = "-O3", PATH = "/override/bin:$PATH"}
""",
    "environment prepended, from the linux table": """
[tool.cibuildwheel]
environment = {IGNORED = "1"}
[tool.cibuildwheel.linux]
environment = 'LINUX="yes"'
[[tool.cibuildwheel.overrides]]
select = "cp312-*"
inherit.environment = "prepend"
environment = {FIRST = "1"}
""",
    "config settings": """
[tool.cibuildwheel]
config-settings = "k1=v1 k2=v2 --build-option=--one"
[[tool.cibuildwheel.overrides]]
select = "cp312-*"
inherit.config-settings = "append"
config-settings = {k2 = "override", k3 = "v3"}
""",
    "config settings prepended": """
[tool.cibuildwheel]
config-settings = {k1 = "v1", k2 = "top"}
[[tool.cibuildwheel.overrides]]
select = "cp312-*"
inherit.config-settings = "prepend"
config-settings = {k2 = "override"}
""",
    "word lists": """
[tool.cibuildwheel]
test-requires = "pytest"
environment-pass = ["CI"]
test-extras = "test,cpu"
[[tool.cibuildwheel.overrides]]
select = "cp312-*"
inherit = {test-requires = "append", environment-pass = "prepend", test-extras = "append"}
test-requires = ["numpy>=2", "hypothesis"]
environment-pass = "TOKENLESS_VAR"
test-extras = ["gpu"]
""",
    "an empty side": """
[tool.cibuildwheel]
before-test = "make fixtures"
[[tool.cibuildwheel.overrides]]
select = "cp312-*"
inherit = {before-test = "append", test-command = "append"}
before-test = ""
test-command = "python -m x"
""",
    "a chain of overrides (lxml's)": """
[tool.cibuildwheel]
environment = {STATIC_DEPS = "true", CFLAGS = "-O2"}
[[tool.cibuildwheel.overrides]]
select = "*linux_*"
inherit.environment = "append"
environment.CFLAGS = "-O3 -flto"
environment.AR = "gcc-ar"
[[tool.cibuildwheel.overrides]]
select = "*linux_x86_64"
inherit.environment = "append"
environment.CFLAGS = "-O3 -flto -march=core2"
[[tool.cibuildwheel.overrides]]
select = "cp312-*"
inherit.test-command = "prepend"
test-command = "python -m first"
[[tool.cibuildwheel.overrides]]
select = "cp312-manylinux_x86_64"
inherit.test-command = "prepend"
test-command = "python -m zeroth"
""",
    "cibuildwheel's default repair command (pyzmq's)": """
[tool.cibuildwheel]
test-command = "pytest"
[[tool.cibuildwheel.overrides]]
select = "cp312-*"
inherit.repair-wheel-command = "append"
repair-wheel-command = "abi3audit --strict --report {wheel}"
""",
    "earlier overrides of other identifiers, another platform's too": """
[tool.cibuildwheel]
test-command = "pytest"
[[tool.cibuildwheel.overrides]]
select = "*-win_amd64"
test-command = "pytest -p no:cacheprovider"
[[tool.cibuildwheel.overrides]]
select = "cp311-*"
test-command = "python -m other"
[[tool.cibuildwheel.overrides]]
select = "cp312-*"
inherit.test-command = "append"
test-command = "python -m x"
""",
}

_COMMAND = ListFormat(sep=" && ")
FORMATS: dict[str, OptionFormat] = {
    "test-command": _COMMAND,
    "repair-wheel-command": _COMMAND,
    "before-build": _COMMAND,
    "before-test": _COMMAND,
    "environment": EnvironmentFormat(),
    "config-settings": ShlexTableFormat(sep=" ", pair_sep="="),
    "test-requires": ListFormat(sep=" ", quote=shlex.quote),
    "environment-pass": ListFormat(sep=" "),
    "test-extras": ListFormat(sep=","),
}


def _assigned(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Environment assignments made in order, each value's ``$NAME`` (``${NAME}``) of a name
    assigned before it replaced by that value: what a shell ends with."""
    values: dict[str, str] = {}

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return values.get(name, match.group(0))

    for name, value in pairs:
        values[name] = re.sub(r"\$\{(\w+)\}|\$(\w+)", value_of, value)
    return values


def _theirs(reader: OptionsReader, identifier: str) -> dict[str, Any]:
    with reader.identifier(identifier):
        got = {name: reader.get(name, option_format=fmt) for name, fmt in FORMATS.items()}
    return {
        **{k: got[k] for k in ("test-command", "repair-wheel-command", "before-build")},
        "before-test": got["before-test"],
        "environment": _assigned(parsers.env_table(got["environment"], "cibuildwheel")),
        "config-settings": parsers.config_settings(got["config-settings"], "cibuildwheel"),
        "test-requires": tuple(shlex.split(got["test-requires"])),
        "environment-pass": tuple(got["environment-pass"].split()),
        "test-extras": tuple(e for e in got["test-extras"].split(",") if e),
    }


def _ours(options: Options) -> dict[str, Any]:
    return {
        "test-command": options.test_command,
        "repair-wheel-command": options.repair_wheel_command,
        "before-build": options.before_build,
        "before-test": options.before_test,
        "environment": _assigned(options.environment),
        "config-settings": options.config_settings,
        "test-requires": options.test_requires,
        "environment-pass": options.environment_pass,
        # manywheel joins extras with commas; a word may hold several ("test,cpu")
        "test-extras": tuple(e for word in options.test_extras for e in word.split(",")),
    }


@pytest.mark.parametrize("text", CASES.values(), ids=list(CASES))
def test_each_identifier_gets_what_cibuildwheel_gives_it(tmp_path: Path, text: str) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(text)
    reader = OptionsReader(pyproject, platform="linux", env={})
    result = migrate(tomllib.loads(text), {})
    assert not [n for n in result.notes if "inherit" in n], result.notes
    resolver = OptionsResolver(load_config({"tool": {"manywheel": result.table}}, "x", {}, {}))
    for identifier in IDENTIFIERS:
        assert _ours(resolver.for_identifier(identifier)) == _theirs(reader, identifier)
    # the migrated text reads back as the same table
    assert tomllib.loads(result.toml())["tool"]["manywheel"] == result.table


def test_an_override_s_own_value_stays_when_the_top_level_has_none() -> None:
    # contourpy 1.4.0's pyproject: its cp315 override appends to no environment
    document = tomllib.loads(
        """
[tool.cibuildwheel]
test-requires = "pytest"
[[tool.cibuildwheel.overrides]]
select = "cp315*"
inherit.environment = "append"
environment = { PIP_PRE = "1" }
"""
    )
    result = migrate(document, {})
    assert result.notes == []
    assert result.table["overrides"] == [{"select": "cp315*", "environment": {"PIP_PRE": "1"}}]


def test_what_cannot_be_combined_as_cibuildwheel_does_is_noted() -> None:
    document = tomllib.loads(
        """
[tool.cibuildwheel]
test-command = "pytest"
build-frontend = "build"
[[tool.cibuildwheel.overrides]]
select = "cp312-*"
test-command = "python -m first"
[[tool.cibuildwheel.overrides]]
select = "cp31*"
inherit = {test-command = "append", build-frontend = "append", before-build = "sideways"}
test-command = "python -m second"
build-frontend = "pip"
before-build = "make"
"""
    )
    result = migrate(document, {})
    where = "tool.cibuildwheel.overrides[1].inherit"
    assert result.notes == [
        f"{where}.test-command (combined without the test-command of an earlier override that "
        "selects some of the same identifiers: cibuildwheel would combine it in for those)",
        f"{where}.build-frontend (cibuildwheel cannot combine build-frontend values)",
        f"{where}.before-build: 'sideways' (not one of none, append, prepend)",
    ]
    assert result.table["overrides"][1] == {
        "select": "cp31*",
        "test-command": ["pytest", "python -m second"],
        "build-frontend": "pip",
        "before-build": "make",
    }


def test_the_defaults_an_override_inherits_are_cibuildwheel_s() -> None:
    # the options an override can inherit whose default is not empty in the installed
    # cibuildwheel's defaults.toml (on Linux), with the same values
    path = resources.files("cibuildwheel") / "resources" / "defaults.toml"
    defaults = tomllib.loads(path.read_text())["tool"]["cibuildwheel"]
    linux = {**defaults, **defaults["linux"]}
    inheritable = {*COMMANDS, *WORDS, *ENVIRONMENTS, "config-settings"}
    not_empty = {k: v for k, v in linux.items() if k in inheritable and v not in ("", [], {})}
    assert not_empty == CIBUILDWHEEL_DEFAULTS
