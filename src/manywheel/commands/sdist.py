"""``manywheel sdist``: build the source distribution from a clean copy of the project."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from manywheel.commands.common import add_output_arguments, add_path_argument
from manywheel.errors import ExitCode
from manywheel.planning.project import load_project
from manywheel.release.sdist import build_sdist


def configure_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sdist",
        help="build the source distribution",
        description="Build the project's sdist (python -m build --sdist) from a clean copy, "
        "so the source tree is never written to, and put it in the output dir.",
    )
    add_output_arguments(parser)
    add_path_argument(parser, "project directory")
    parser.add_argument(
        "-o",
        "--output-dir",
        type=Path,
        default=Path("wheelhouse"),
        metavar="DIR",
        help="where the sdist goes (default: wheelhouse)",
    )
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    sdist = build_sdist(load_project(args.path), args.output_dir)
    print(sdist)
    return ExitCode.OK
