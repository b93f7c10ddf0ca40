"""Arguments shared by commands: a project (build, plan), distributions (check, publish)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from manywheel import api
from manywheel.config.declarations import OPTIONS


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """-v/-q, accepted after every subcommand."""
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="store_true", help="show tracebacks of errors")
    verbosity.add_argument("-q", "--quiet", action="store_true", help="no progress lines")


def add_path_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """The optional PATH positional (default: the current directory)."""
    parser.add_argument(
        "path",
        nargs="?",
        default=".",
        type=Path,
        metavar="PATH",
        help=f"{what} (default: the current directory)",
    )


def add_distribution_arguments(parser: argparse.ArgumentParser) -> None:
    """The FILE_OR_DIR positionals of check and publish."""
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="FILE_OR_DIR",
        help="wheels and sdists, or directories holding them (default: wheelhouse)",
    )


def add_project_arguments(parser: argparse.ArgumentParser) -> None:
    add_output_arguments(parser)
    add_path_argument(parser, "project directory or sdist (.tar.gz/.zip)")
    parser.add_argument(
        "--platform",
        choices=["native", "docker", "podman", "auto"],
        help="where to build: native (host interpreters), docker, podman, or "
        "auto (a container engine that works); default: native",
    )
    parser.add_argument(
        "--archs", metavar="ARCHS", help="architectures, e.g. 'auto', 'x86_64 aarch64', 'all'"
    )
    parser.add_argument(
        "--only",
        metavar="ID",
        help="build only this identifier (e.g. cp312-manylinux_x86_64), ignoring build/skip/archs",
    )
    parser.add_argument(
        "--config-file",
        type=Path,
        metavar="FILE",
        help="TOML file with a [tool.manywheel] table (default: the project's pyproject.toml)",
    )
    parser.add_argument(
        "--shard",
        metavar="I/N",
        help="only the I-th of N balanced parts of the plan (for N CI runners)",
    )
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        default=None,
        help="exit 0 when nothing is selected to build",
    )


# argparse dest -> (option name, flag shown in errors), from the option declarations
_FLAG_OPTIONS = {o.field: (o.name, o.flag) for o in OPTIONS.values() if o.flag}


def cli_values(args: argparse.Namespace) -> dict[str, tuple[Any, str]]:
    values: dict[str, tuple[Any, str]] = {}
    for dest, (option, flag) in _FLAG_OPTIONS.items():
        value = getattr(args, dest, None)
        if value is not None:
            values[option] = (value, flag)
    return values


def load_session(args: argparse.Namespace) -> api.Session:
    return api.load(args.path, cli=cli_values(args), config_file=args.config_file)
