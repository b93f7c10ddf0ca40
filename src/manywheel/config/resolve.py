"""Reading and merging option sources into frozen Options, per build identifier."""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from manywheel.config.declarations import NON_OPTION_ENV, OPTIONS, Option
from manywheel.config.identifiers import Identifier
from manywheel.config.model import Options
from manywheel.config.selectors import Selector
from manywheel.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib


def _suggest(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def read_toml(path: Path, label: str) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{label} is not valid TOML: {exc}. Fix the syntax of that file and run again."
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {label}: {exc.strerror}.") from None


@dataclass(frozen=True)
class Override:
    select: Selector
    values: Mapping[str, Any]  # option name -> parsed value
    source: str


@dataclass(frozen=True)
class ConfigSources:
    """Parsed values from each layer, lowest precedence first; values are already parsed."""

    file_values: Mapping[str, Any] = field(default_factory=dict)
    overrides: tuple[Override, ...] = ()
    env_values: Mapping[str, Any] = field(default_factory=dict)
    cli_values: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)  # option -> where it came from


def _parse(option: Option, raw: Any, source: str) -> Any:
    return option.parse(raw, source)


def _check_key(key: str, label: str) -> Option:
    option = OPTIONS.get(key)
    if option is None:
        raise ConfigError(
            f"{label}: unknown option '{key}'.{_suggest(key, list(OPTIONS))} "
            "The options reference (docs/options.md) lists every option."
        )
    return option


def parse_table(
    table: Mapping[str, Any], label: str
) -> tuple[dict[str, Any], tuple[Override, ...]]:
    values: dict[str, Any] = {}
    overrides: list[Override] = []
    for key, raw in table.items():
        if key == "overrides":
            if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
                raise ConfigError(
                    f"{label}.overrides must be an array of tables: write "
                    "[[tool.manywheel.overrides]] with a 'select' key."
                )
            overrides.extend(
                _parse_override(t, f"{label}.overrides[{i}]") for i, t in enumerate(raw)
            )
            continue
        option = _check_key(key, label)
        values[key] = _parse(option, raw, f"{label}.{key}")
    return values, tuple(overrides)


def _parse_override(table: Mapping[str, Any], label: str) -> Override:
    if "select" not in table:
        raise ConfigError(
            f"{label} has no 'select' key; every override needs one, e.g. select = \"cp312-*\"."
        )
    select_text = " ".join(_parse(OPTIONS["build"], table["select"], f"{label}.select").split())
    select = Selector(select_text, f"{label}.select")
    select.validate()
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key == "select":
            continue
        option = _check_key(key, label)
        if option.scope == "run":
            raise ConfigError(
                f"{label}.{key}: '{key}' applies to the whole run and cannot be "
                "overridden per identifier; set it at the top of [tool.manywheel]."
            )
        values[key] = _parse(option, raw, f"{label}.{key}")
    return Override(select, values, label)


def read_env(environ: Mapping[str, str]) -> dict[str, Any]:
    by_var = {o.env_var: o for o in OPTIONS.values()}
    values: dict[str, Any] = {}
    for var, raw in environ.items():
        if not var.startswith("MANYWHEEL_") or var in NON_OPTION_ENV:
            continue
        option = by_var.get(var)
        if option is None:
            raise ConfigError(
                f"environment variable {var}: no such manywheel option."
                f"{_suggest(var, sorted(by_var))} Unset it or correct its name."
            )
        values[option.name] = _parse(option, raw, var)
    return values


def load_config(
    document: Mapping[str, Any] | None,
    label: str,
    environ: Mapping[str, str],
    cli: Mapping[str, tuple[Any, str]],
) -> ConfigSources:
    """Read the three layers.

    ``document`` is the parsed config file (pyproject.toml or --config-file), ``label`` its
    name for messages; ``cli`` maps option name -> (raw value, flag name).
    """
    file_values: dict[str, Any] = {}
    overrides: tuple[Override, ...] = ()
    sources: dict[str, str] = {}
    if document is not None:
        table_label = f"{label}: tool.manywheel"
        tool = document.get("tool", {})
        table = tool.get("manywheel", {}) if isinstance(tool, dict) else {}
        if not isinstance(table, dict):
            raise ConfigError(f"{table_label} must be a table: write [tool.manywheel].")
        file_values, overrides = parse_table(table, table_label)
        sources.update({k: f"{table_label}.{k}" for k in file_values})
    env_values = read_env(environ)
    sources.update({k: OPTIONS[k].env_var for k in env_values})
    cli_values = {k: _parse(OPTIONS[k], raw, flag) for k, (raw, flag) in cli.items()}
    sources.update({k: flag for k, (_, flag) in cli.items()})
    return ConfigSources(file_values, overrides, env_values, cli_values, sources)


def _apply(options: Options, name: str, value: Any) -> Options:
    option = OPTIONS[name]
    if option.field == "images":
        key = name.removesuffix("-image")
        images = dict(options.images)
        images[key] = value
        return replace(options, images=tuple(sorted(images.items())))
    return replace(options, **{option.field: value})


def _defaults() -> Options:
    options = Options()
    for option in OPTIONS.values():
        if option.field == "images":
            options = _apply(options, option.name, option.default)
    return options


class OptionsResolver:
    """Answers 'which options hold for this identifier', merging all layers."""

    def __init__(self, sources: ConfigSources) -> None:
        self.sources = sources
        base = _defaults()
        for name, value in sources.file_values.items():
            base = _apply(base, name, value)
        self._file_base = base
        self.run = self._top(base)

    def _top(self, options: Options) -> Options:
        for layer in (self.sources.env_values, self.sources.cli_values):
            for name, value in layer.items():
                options = _apply(options, name, value)
        return options

    def source_of(self, name: str) -> str:
        return self.sources.sources.get(name, f"the default of '{name}'")

    def for_identifier(self, identifier: Identifier | str) -> Options:
        options = self._file_base
        for override in self.sources.overrides:
            if override.select.matches(identifier):
                for name, value in override.values.items():
                    options = _apply(options, name, value)
        return self._top(options)


def resolve(
    document: Mapping[str, Any] | None,
    label: str,
    cli: Mapping[str, tuple[Any, str]],
    environ: Mapping[str, str] | None = None,
) -> OptionsResolver:
    env = os.environ if environ is None else environ
    return OptionsResolver(load_config(document, label, env, cli))
