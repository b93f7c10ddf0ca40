"""``manywheel explain WHEEL``: which policies a wheel satisfies, and why not the others."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from manywheel.commands.common import add_output_arguments
from manywheel.diagnose.explain import explain, render
from manywheel.errors import ExitCode


def configure_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="explain which manylinux/musllinux policies a wheel satisfies",
        description="Analyse a wheel with auditwheel and say, for the common policies, whether "
        "it satisfies them as built and after repair, and for each one it does not: the "
        "library outside the allow-list, the symbol and the glibc version it needs, or the "
        "instruction-set extension, with the fix.",
    )
    add_output_arguments(parser)
    parser.add_argument("wheel", type=Path, metavar="WHEEL")
    parser.add_argument("--json", action="store_true", help="print the analysis as JSON")
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    result = explain(args.wheel)
    if args.json:
        print(json.dumps(dataclasses.asdict(result), indent=2))
    else:
        print(render(result))
    return ExitCode.OK
