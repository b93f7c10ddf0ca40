"""cibuildwheel's ``inherit`` in an override, done when migrating.

In cibuildwheel an override's ``inherit.test-command = "append"`` runs the top-level test
command and then the override's; manywheel's overrides replace values. So the migrated override
gets the two combined, as cibuildwheel's options.py combines them (_apply_inherit_rule, with
each option's format): commands joined with ``&&``, word lists one after the other,
environment assignments in order, config settings as one table whose later keys win. An empty
value on either side leaves the other as it is; ``"none"`` is the default. The value before
an override is the one before it in cibuildwheel's cascade: an earlier override's, when it
selects every identifier this one does (lxml's ``*linux_i686`` environment appends to its
``*linux_*`` one, which appends to the top level's).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from manywheel.config.model import DEFAULT_AUDIT_COMMAND, DEFAULT_REPAIR_COMMAND
from manywheel.config.parsers import settings_table

# ListFormat(sep=" && ") in cibuildwheel
COMMANDS = (
    "before-all",
    "before-build",
    "before-test",
    "test-command",
    "repair-wheel-command",
    "audit-command",
)
# ListFormat(sep=" ") or (test-extras) sep=","; manywheel reads each as words
WORDS = (
    "test-requires",
    "test-extras",
    "test-sources",
    "test-groups",
    "environment-pass",
    "audit-requires",
)
ENVIRONMENTS = ("environment", "test-environment")  # EnvironmentFormat: strings, in order
RULES = ("none", "append", "prepend")
# cibuildwheel's defaults on Linux that are not empty, of the options an override can inherit
# (its defaults.toml; manywheel's are the same: tests/unit/test_migrate_inherit.py)
CIBUILDWHEEL_DEFAULTS = {
    "repair-wheel-command": DEFAULT_REPAIR_COMMAND,
    "audit-command": DEFAULT_AUDIT_COMMAND,
    "audit-requires": ["abi3audit"],
}


def inherited(
    raw: Mapping[str, Any],
    top: Mapping[str, Any],
    earlier: Sequence[tuple[frozenset[str], Mapping[str, Any]]],
    selected: frozenset[str],
    *,
    where: str,
    notes: list[str],
) -> dict[str, Any]:
    """``raw`` (an override of [tool.cibuildwheel] that selects the identifiers ``selected``,
    ``inherit`` taken out) with each value it inherits combined with the value before it:
    ``top``'s (the top level's, the linux table's over it), or an earlier override's that
    selects every identifier this one does (``earlier``: each one's identifiers and its values
    as combined here), as cibuildwheel's cascade gives it. An earlier override that selects
    only some of them has no value that holds for all: left out, and noted."""
    values = {k: v for k, v in raw.items() if k != "inherit"}
    rules = raw.get("inherit", {})
    if not isinstance(rules, Mapping):
        notes.append(f'{where}.inherit (not a table of option = "append" or "prepend")')
        return values
    for key, rule in rules.items():
        if rule not in RULES:
            notes.append(f"{where}.inherit.{key}: {rule!r} (not one of {', '.join(RULES)})")
            continue
        if rule == "none" or key not in values:
            continue
        before = top.get(key)
        for theirs, their_values in earlier:
            if key not in their_values or not theirs & selected:
                continue
            if selected <= theirs:
                before = their_values[key]
            else:
                notes.append(
                    f"{where}.inherit.{key} (combined without the {key} of an earlier override "
                    "that selects some of the same identifiers: cibuildwheel would combine it "
                    "in for those)"
                )
        if _empty(before):
            continue  # nothing to combine: the override's value, as in cibuildwheel
        if _empty(values[key]):
            values[key] = before
            continue
        first, second = (before, values[key]) if rule == "append" else (values[key], before)
        combined = _combined(key, first, second)
        if combined is None:
            notes.append(f"{where}.inherit.{key} (cibuildwheel cannot combine {key} values)")
            continue
        values[key] = combined
    return values


def _empty(value: Any) -> bool:
    return value is None or value in ("", [], {})


def _combined(key: str, first: Any, second: Any) -> Any:
    """``first`` then ``second`` in the form of ``key``'s values; None when the option has no
    such form (cibuildwheel refuses to combine it)."""
    if key in COMMANDS or key in WORDS:
        return [*_listed(first), *_listed(second)]
    if key in ENVIRONMENTS:
        if isinstance(first, Mapping) and isinstance(second, Mapping):
            shared = set(first) & set(second)
            if not any(_reads(v, shared) for v in [*first.values(), *second.values()]):
                return {**first, **second}  # assigned in order, each name once: the same
        return f"{_assignments(first)} {_assignments(second)}"  # a value reads a name set twice
    if key == "config-settings":
        return {**_settings(first), **_settings(second)}
    return None


def _reads(value: Any, names: set[str]) -> bool:
    """Whether an environment value may read one of ``names`` (or anything: a command)."""
    text = str(value)
    return "`" in text or "$(" in text or any(f"${n}" in text or f"${{{n}" in text for n in names)


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _assignments(value: Any) -> str:
    """An environment table as cibuildwheel's string form (``NAME="value"``: the value's
    ``$VARS`` and ``$(commands)`` still expand)."""
    if isinstance(value, Mapping):
        return " ".join(f'{k}="{v}"' for k, v in value.items())
    return str(value)


def _settings(value: Any) -> dict[str, Any]:
    """Config settings as a table: a string's ``key=value`` words (a key given twice: a list),
    as cibuildwheel's ShlexTableFormat reads them."""
    if isinstance(value, Mapping):
        return dict(value)
    words = (word.partition("=") for word in shlex.split(str(value)))
    return settings_table([(key, item) for key, _, item in words])
