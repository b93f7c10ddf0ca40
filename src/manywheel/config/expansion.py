"""Expanding ``$VAR``/``${VAR}`` in environment options, and placeholders in commands."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping

# a backslash escape (as between double quotes: \\, \$, \`, \"), or $NAME or ${NAME}
_VAR = re.compile(
    r'\\(?P<escaped>[\\$`"])'
    r"|\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


def expand(value: str, env: Mapping[str, str]) -> str:
    r"""Replace $NAME and ${NAME} with values from env (missing names become empty), as a
    shell does between double quotes (cibuildwheel evaluates a table's value as ``"value"``):
    ``\$HOME`` is ``$HOME`` itself, ``\\`` one backslash."""
    return _VAR.sub(lambda m: m["escaped"] or env.get(m["braced"] or m["plain"], ""), value)


def references(value: str) -> list[str]:
    r"""The names ``value`` refers to as $NAME, ${NAME} or ${NAME:-...} and the like (not an
    escaped ``\$NAME``)."""
    names = [m["braced"] or m["plain"] for m in _VAR.finditer(value) if not m["escaped"]]
    return names + [m["counted"] or m["operated"] for m in _OPERAND.finditer(value)]


# the name a parameter expansion with an operator reads: ${#NAME}, ${!NAME}, ${NAME:-...}
_OPERAND = re.compile(
    r"(?<!\\)\$\{(?:[#!](?P<counted>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<operated>[A-Za-z_][A-Za-z0-9_]*)(?=[^A-Za-z0-9_}]))"
)


# runs a value that runs a command ($(...), backticks) through a shell where the build runs:
# (name, value, the environment so far) -> what the shell made of it
Substitute = Callable[[str, str, Mapping[str, str]], str]


# a parameter expansion more than a name: ${NAME:-default}, ${NAME#prefix}, ${#NAME}
_OPERATED = re.compile(r"(?<!\\)\$\{(?![A-Za-z_][A-Za-z0-9_]*\})")


def substitutes(value: str) -> bool:
    """Whether ``value`` needs a shell: it runs a command (``$(...)`` or backticks), or expands
    a parameter with an operator (``${CC:-gcc}``), which only a shell does as a shell would."""
    return "$(" in value or "`" in value or _OPERATED.search(value) is not None


def evaluate(
    assignments: tuple[tuple[str, str], ...],
    base: Mapping[str, str],
    substitute: Substitute | None = None,
) -> dict[str, str]:
    """Apply assignments in order; each may refer to the base env and to earlier ones. A value
    that runs a command goes to ``substitute`` (a shell where the build runs, as cibuildwheel
    evaluates its environment option); without one, only its $VAR expand."""
    current = dict(base)
    result: dict[str, str] = {}
    for name, value in assignments:
        if substitute is not None and substitutes(value):
            made = substitute(name, value, current)
        else:
            made = expand(value, current)
        current[name] = result[name] = made
    return result


def fill(command: str, **values: str) -> str:
    """Fill {project}, {wheel}, {dest_dir}... placeholders with shell-quoted values.

    Unknown braces (shell syntax such as ${HOME}) are left alone.
    """
    for key, value in values.items():
        command = command.replace("{" + key + "}", shlex.quote(value))
    return command
