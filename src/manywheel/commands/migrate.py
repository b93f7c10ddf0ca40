"""``manywheel migrate``: print the [tool.manywheel] equivalent of a cibuildwheel setup, or
append it to the project's pyproject.toml (``--write``)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from manywheel.ci.migrate import Migration, migrate
from manywheel.commands.common import add_output_arguments, add_path_argument
from manywheel.config.resolve import read_toml
from manywheel.errors import ConfigError, ExitCode
from manywheel.files import atomic_write

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def configure_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="translate a cibuildwheel configuration",
        description="Read [tool.cibuildwheel] (with its linux table and overrides) from "
        "PATH/pyproject.toml and CIBW_* environment variables, and print the equivalent "
        "[tool.manywheel] table. Anything without an equivalent is listed as a comment and "
        "on stderr.",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="append the table (and its comments) to the pyproject.toml instead of printing "
        "it; refused when the file has a [tool.manywheel] table already",
    )
    add_output_arguments(parser)
    add_path_argument(parser, "project directory or its pyproject.toml")
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    path: Path = args.path / "pyproject.toml" if args.path.is_dir() else args.path
    if not path.is_file():
        raise ConfigError(
            f"'{path}' does not exist; point migrate at a project directory or its pyproject.toml."
        )
    document = read_toml(path, str(path))
    result = migrate(document, os.environ)
    if args.write:
        _append(path, document, result)
        print(f"manywheel: migrate: [tool.manywheel] appended to {path}", file=sys.stderr)
    else:
        print(result.toml(), end="")
    for note in result.notes:
        print(f"manywheel: migrate: not migrated: {note}", file=sys.stderr)
    return ExitCode.OK


def _append(path: Path, document: dict[str, Any], result: Migration) -> None:
    """``result``'s table at the end of ``path``, the rest of the file byte for byte as it was (its
    mode too); nothing is written when the file has a [tool.manywheel] table, when there is
    nothing to write, or when the result would not parse."""
    tool = document.get("tool")
    if isinstance(tool, dict) and "manywheel" in tool:
        raise ConfigError(
            f"{path} has a [tool.manywheel] table already; migrate --write adds one only to a "
            "file without. Run 'manywheel migrate' without --write and merge what it prints."
        )
    if not result.table:
        raise ConfigError(
            f"{path}: nothing to migrate: no [tool.cibuildwheel] setting and no CIBW_* "
            "variable has a manywheel equivalent; nothing was written."
        )
    text = path.read_text(encoding="utf-8")
    new = text + ("" if text.endswith("\n") or not text else "\n") + "\n" + result.toml()
    try:
        tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: the file with [tool.manywheel] appended would not be valid TOML ({exc}), "
            "so nothing was written (a 'tool' defined as an inline table cannot take a new "
            "table). Run 'manywheel migrate' without --write and add what it prints by hand."
        ) from None

    def write(partial: Path) -> None:
        partial.write_text(new, encoding="utf-8")
        shutil.copymode(path, partial)

    atomic_write(path, write)
