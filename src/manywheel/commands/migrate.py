"""``manywheel migrate``: print the [tool.manywheel] equivalent of a cibuildwheel setup."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from manywheel.ci.migrate import migrate
from manywheel.commands.common import add_output_arguments, add_path_argument
from manywheel.config.resolve import read_toml
from manywheel.errors import ConfigError, ExitCode


def configure_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="translate a cibuildwheel configuration",
        description="Read [tool.cibuildwheel] (with its linux table and overrides) from "
        "PATH/pyproject.toml and CIBW_* environment variables, and print the equivalent "
        "[tool.manywheel] table. Anything without an equivalent is listed as a comment and "
        "on stderr.",
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
    result = migrate(read_toml(path, str(path)), os.environ)
    print(result.toml(), end="")
    for note in result.notes:
        print(f"manywheel: migrate: not migrated: {note}", file=sys.stderr)
    return ExitCode.OK
