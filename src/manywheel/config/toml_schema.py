"""The JSON schema of ``[tool.manywheel]``, made from the option declarations, for editors and
``validate-pyproject`` (its ``validate_pyproject.tool_schema`` entry point, as cibuildwheel
has one for ``[tool.cibuildwheel]``). It says what the parsers accept, types and names; the
parsers still check values (a selector's patterns, an unknown key's closest name).
"""

from __future__ import annotations

from typing import Any

from manywheel.config import parsers as p
from manywheel.config.declarations import OPTIONS, Option

SCHEMA_ID = "urn:manywheel:schema:tool.manywheel"
_STRING: dict[str, Any] = {"type": "string"}
_STRINGS: dict[str, Any] = {"type": "array", "items": _STRING}
_STRING_OR_LIST: dict[str, Any] = {"oneOf": [_STRING, _STRINGS]}
_SCALAR: dict[str, Any] = {"type": ["string", "number", "boolean"]}
_BY_PARSER: dict[Any, dict[str, Any]] = {
    p.string: _STRING,
    p.specifier: _STRING,
    p.command: _STRING_OR_LIST,
    p.audit_command: _STRING_OR_LIST,
    p.words: _STRING_OR_LIST,
    p.selector: _STRING_OR_LIST,
    p.boolean: {"oneOf": [{"type": "boolean"}, _STRING]},
    p.env_table: {"oneOf": [_STRING, {"type": "object", "additionalProperties": _SCALAR}]},
    p.config_settings: {
        "oneOf": [
            _STRING,
            {
                "type": "object",
                "additionalProperties": {"oneOf": [_SCALAR, {"type": "array", "items": _SCALAR}]},
            },
        ]
    },
    p.engine: {
        "type": "string",
        "pattern": r"^\s*(docker|podman|auto)\s*(;\s*create_args\s*:.*)?$",
    },
    p.frontend: {
        "oneOf": [
            {
                "type": "string",
                "pattern": r"^\s*(default|build|build\[uv\]|uv|pip)\s*(;\s*args\s*:.*)?$",
            },
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {"name": {"enum": list(p.FRONTENDS)}, "args": _STRING_OR_LIST},
            },
        ]
    },
}


def option_schema(option: Option) -> dict[str, Any]:
    """What ``option`` accepts in TOML, with its description."""
    made = p.SCHEMAS.get(option.parse) or _BY_PARSER.get(option.parse)
    if made is None:
        raise KeyError(f"no schema for the parser of {option.name}")
    return {**made, "description": option.doc}


def get_schema(tool_name: str = "manywheel") -> dict[str, Any]:
    """manywheel's options, in [tool.manywheel] (its wheel builds, repairs and tests)."""
    if tool_name != "manywheel":
        raise ValueError(f"only [tool.manywheel] has a schema here, not [tool.{tool_name}]")
    properties = {name: option_schema(option) for name, option in OPTIONS.items()}
    per_identifier = {n: s for n, s in properties.items() if OPTIONS[n].scope != "run"}
    override = {
        "type": "object",
        "additionalProperties": False,
        "required": ["select"],
        "properties": {
            "select": {**_STRING_OR_LIST, "description": "Identifiers this override applies to."},
            **per_identifier,
        },
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "description": "manywheel's options: manylinux/musllinux wheels, built, repaired, tested.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            **properties,
            "overrides": {
                "type": "array",
                "items": override,
                "description": "Options for the identifiers an override selects.",
            },
        },
    }
