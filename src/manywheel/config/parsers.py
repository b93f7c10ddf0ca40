"""Small value parsers for options. Each takes the raw value and where it came from.

Raw values come from TOML (strings, lists, tables, booleans, integers) or from environment
variables and flags (always strings). Every parser raises ConfigError naming the source.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from manywheel.config import shell_words
from manywheel.config.model import BuildFrontend
from manywheel.errors import ConfigError

Parser = Callable[[Any, str], Any]
# the JSON schema of what a parser made by a factory below accepts (config/toml_schema.py)
SCHEMAS: dict[Parser, dict[str, Any]] = {}


def _bad(source: str, value: object, expected: str) -> ConfigError:
    return ConfigError(f"{source}: {value!r} is not valid; expected {expected}.")


def string(value: Any, source: str) -> str:
    if isinstance(value, str):
        return value
    raise _bad(source, value, "a string")


def specifier(value: Any, source: str) -> str:
    """A PEP 440 version specifier (``>=3.10``), or empty for none."""
    text = string(value, source).strip()
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        raise _bad(source, value, "a version specifier (PEP 440) such as '>=3.10'") from None
    return text


def command(value: Any, source: str) -> str:
    """A shell command: a string, or a list of strings joined with ' && ' (as cibuildwheel)."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = " && ".join(value)
    if not isinstance(value, str):
        raise _bad(source, value, "a command string or a list of command strings")
    try:
        shlex.split(value)
    except ValueError as exc:
        raise ConfigError(
            f"{source}: the command {value!r} cannot be parsed as a shell command ({exc}). "
            "Check that every quote is closed."
        ) from None
    return value


def audit_command(value: Any, source: str) -> str:
    """Audit commands (joined with ' && '), each naming the wheel as {wheel} or {abi3_wheel}."""
    text = command(value, source)
    for part in text.split(" && ") if text.strip() else []:
        has_abi3, has_wheel = "{abi3_wheel}" in part, "{wheel}" in part
        if has_abi3 == has_wheel:
            what = (
                "both {abi3_wheel} and {wheel}" if has_abi3 else "neither {abi3_wheel} nor {wheel}"
            )
            raise ConfigError(
                f"{source}: the audit command {part!r} contains {what}. Each audit command "
                "names the wheel once: {abi3_wheel} (run only for abi3 wheels) or {wheel} "
                "(run for every wheel)."
            )
    return text


def words(value: Any, source: str) -> tuple[str, ...]:
    """A list of strings, or one string of space-separated words."""
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(w for v in value for w in v.split())
    raise _bad(source, value, "a string or a list of strings")


def selector(value: Any, source: str) -> str:
    return " ".join(words(value, source))


def boolean(value: Any, source: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise _bad(source, value, "true or false (in the environment: 1/0, true/false)")


def integer(low: int, high: int) -> Parser:
    def parse(value: Any, source: str) -> int:
        raw = value
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise _bad(source, raw, f"a whole number from {low} to {high}") from None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _bad(source, raw, f"a whole number from {low} to {high}")
        return value

    number = {"type": "integer", "minimum": low, "maximum": high}
    SCHEMAS[parse] = {"oneOf": [number, {"type": "string", "pattern": r"^\s*\d+\s*$"}]}
    return parse


def choice(*allowed: str) -> Parser:
    def parse(value: Any, source: str) -> str:
        if isinstance(value, str) and value in allowed:
            return value
        raise _bad(source, value, "one of " + ", ".join(repr(a) for a in allowed))

    SCHEMAS[parse] = {"enum": list(allowed)}
    return parse


def choices(*allowed: str, unsupported: Mapping[str, str] | None = None) -> Parser:
    """Several words, each one of ``allowed``; ``unsupported``: words that are known but not
    supported yet, with the sentence that says so."""

    def parse(value: Any, source: str) -> tuple[str, ...]:
        items = words(value, source)
        for item in items:
            if unsupported and item in unsupported:
                raise ConfigError(f"{source}: {item!r} cannot be enabled. {unsupported[item]}")
            if item not in allowed:
                raise _bad(source, item, "one of " + ", ".join(repr(a) for a in allowed))
        return items

    SCHEMAS[parse] = {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"enum": list(allowed)}}]
    }
    return parse


def _pairs_from_string(
    value: str, source: str, what: str, split: Callable[[str], list[str]] = shlex.split
) -> list[tuple[str, str]]:
    try:
        tokens = split(value)
    except ValueError as exc:
        raise ConfigError(f"{source}: cannot parse {value!r} ({exc}); check the quotes.") from None
    pairs = []
    for token in tokens:
        key, sep, val = token.partition("=")
        if not sep or not key:
            raise ConfigError(
                f"{source}: {token!r} is not in KEY=VALUE form; write {what} as KEY=VALUE pairs "
                "separated by spaces, quoting values that contain spaces."
            )
        pairs.append((key, val))
    return pairs


def env_table(value: Any, source: str) -> tuple[tuple[str, str], ...]:
    """Environment assignments: a TOML table or a string ``A=1 B="two words"``."""
    if isinstance(value, dict):
        bad = [k for k, v in value.items() if not isinstance(v, (str, int, float, bool))]
        if bad:
            raise _bad(f"{source}.{bad[0]}", value[bad[0]], "a string")
        return tuple((k, str(v)) for k, v in value.items())
    if isinstance(value, str):
        pairs = _pairs_from_string(value, source, "environment", shell_words.split)
        for key, _ in pairs:
            if not key.replace("_", "a").isalnum() or key[0].isdigit():
                raise ConfigError(f"{source}: {key!r} is not a valid environment variable name.")
        return tuple(pairs)
    raise _bad(source, value, "a table of NAME = value or a string 'NAME=value ...'")


def config_settings(value: Any, source: str) -> tuple[tuple[str, str], ...]:
    """PEP 517 config settings: a table (values may be lists) or a string ``k=v k2=v2``."""
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for key, val in value.items():
            vals: Sequence[Any] = val if isinstance(val, list) else [val]
            for v in vals:
                if not isinstance(v, (str, int, float, bool)):
                    raise _bad(f"{source}.{key}", v, "a string or a list of strings")
                out.append((key, str(v)))
        return tuple(out)
    if isinstance(value, str):
        return tuple(_pairs_from_string(value, source, "config-settings"))
    raise _bad(source, value, "a table or a string 'key=value ...'")


def settings_table(pairs: Sequence[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Config settings as a PEP 517 hook gets them: a key given more than once maps to the list
    of its values, as pip, build and uv pass a repeated ``--config-setting`` on (Pillow's
    ``raqm=enable raqm=vendor``)."""
    table: dict[str, str | list[str]] = {}
    for key, value in pairs:
        before = table.get(key)
        if before is None:
            table[key] = value
        else:
            table[key] = [*before, value] if isinstance(before, list) else [before, value]
    return table


ENGINES = ("docker", "podman")


def parse_engine(value: str, source: str) -> tuple[str, tuple[str, ...]]:
    """``podman`` or ``docker; create_args: --gpus all`` (cibuildwheel's syntax)."""
    name, rest, text = _name_and_args(value, "create_args")
    if name not in (*ENGINES, "auto"):
        raise ConfigError(
            f"{source}: unknown container engine '{name}'; use docker, podman "
            "or auto, optionally followed by '; create_args: ...'."
        )
    if text is None:
        raise ConfigError(
            f"{source}: expected '; create_args: ARGS' after the engine name, got '{rest}'."
        )
    return name, _shell_words(text, source)


def _name_and_args(value: str, key: str) -> tuple[str, str, str | None]:
    """cibuildwheel's ``NAME`` or ``NAME; KEY: ARGS``: the name, what follows the ``;``, and
    the ARGS text ("" when nothing follows; None when it is not ``KEY: ...``), all stripped."""
    name, _, rest = value.partition(";")
    rest = rest.strip()
    found, sep, text = rest.partition(":")
    if rest and (found.strip() != key or not sep):
        return name.strip(), rest, None
    return name.strip(), rest, text.strip()


def _shell_words(text: str, source: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(text))
    except ValueError as exc:
        raise ConfigError(
            f"{source}: cannot parse {text.strip()!r} ({exc}); check the quotes."
        ) from None


def engine(value: Any, source: str) -> str:
    """``docker``, ``podman`` or ``auto``, optionally ``; create_args: ...``."""
    parse_engine(string(value, source), source)
    return str(value)


FRONTENDS = ("default", "build", "build[uv]", "uv", "pip")


def frontend(value: Any, source: str) -> BuildFrontend:
    """A frontend name, optionally with arguments for its command: ``pip; args:
    --no-build-isolation`` or a table ``{name = "pip", args = ["--no-build-isolation"]}``
    (cibuildwheel's two forms)."""
    expected = (
        "one of " + ", ".join(repr(f) for f in FRONTENDS) + ", optionally followed by "
        "'; args: ARGS' (or a table {name = ..., args = [...]})"
    )
    if isinstance(value, dict):
        name, args = value.get("name"), value.get("args", [])
        if isinstance(args, str):
            args = list(_shell_words(args, f"{source}.args"))
        unknown = sorted(set(value) - {"name", "args"})
        if unknown or not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise _bad(source, value, expected)
        words = tuple(args)
    elif isinstance(value, str):
        name, _, text = _name_and_args(value, "args")
        if text is None:
            raise _bad(source, value, expected)
        words = _shell_words(text, source)
    else:
        raise _bad(source, value, expected)
    if not isinstance(name, str) or name.strip() not in FRONTENDS:
        raise _bad(source, value, expected)
    return BuildFrontend(name.strip(), words)
