"""An environment string (``CIBW_ENVIRONMENT``, ``environment = "..."``) is split into
assignments as a shell splits it, a command substitution whole: each value ends as what
cibuildwheel's own reading of the same string (its parse_environment, evaluated) makes of it."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping

import pytest
from cibuildwheel.environment import parse_environment

from manywheel.config.expansion import evaluate
from manywheel.config.parsers import env_table
from manywheel.errors import ConfigError
from manywheel.steps.context import EVALUATE_VALUE

pytestmark = pytest.mark.integration  # the values' commands run in a real shell

STRINGS = [
    "A=$(python3 -c 'print(1 + 2)')",
    'B="$(echo a   b)" C=2',
    "D=`echo x y`",
    "E=$(pwd)/lib F=$E:x",
    'G="$(echo "q r")"',
    'H=plain I="two words" J=a\\ b',
    "K=$(echo $(echo nested) '(not a paren')",
    'PATH="/opt/x/bin:$PATH" L="$HOME/.cache"',
    "M='$HOME' N='a \"b\" \\ `x`'",
    'O="a\\"b" P="\\$HOME" T="back\\\\slash"',
    "Q=a\\$HOME R=x\\ y W=\\n",
    "U='$(echo no)' X=\"'$HOME'\"",
]


def _in_a_shell(name: str, value: str, env: Mapping[str, str]) -> str:
    # what steps/context.py's shell_value does where the job runs, here on the host
    return subprocess.run(
        ["sh", "-c", EVALUATE_VALUE, "sh", value],
        env=dict(env),
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize("text", STRINGS)
def test_each_value_ends_as_cibuildwheel_makes_it(text: str) -> None:
    base = {"PATH": "/usr/bin:/bin", "HOME": "/home/u"}
    ours = evaluate(env_table(text, "CIBW_ENVIRONMENT"), base, _in_a_shell)
    theirs = parse_environment(text).as_dictionary(base)
    assert ours == {k: v for k, v in theirs.items() if k not in base or v != base[k]}


@pytest.mark.parametrize("text", ["A=$(echo", "A='open", 'A="open', "A=`open"])
def test_an_unclosed_quote_or_substitution_is_named(text: str) -> None:
    with pytest.raises(ConfigError, match=r"CIBW_ENVIRONMENT: cannot parse .*; check the quotes"):
        env_table(text, "CIBW_ENVIRONMENT")


def test_a_parameter_expansion_with_an_operator_is_the_shell_s() -> None:
    # cibuildwheel's bashlex reading makes "${UNSET:-fallback}" empty; a shell, and manywheel
    # (which gives such a value to the shell where the job runs), makes it "fallback"
    text = 'A="${MW_UNSET:-fallback}" B=${HOME:+set} C=${#HOME} D="${HOME%/u}" E="\\${HOME:-x}"'
    base = {"PATH": "/usr/bin:/bin", "HOME": "/home/u"}
    assert evaluate(env_table(text, "environment"), base, _in_a_shell) == {
        "A": "fallback",
        "B": "set",
        "C": "7",
        "D": "/home",
        "E": "${HOME:-x}",
    }
