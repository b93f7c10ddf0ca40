"""``manywheel check``: verify wheels and sdists as PyPI will, one verdict line per file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from manywheel.commands.common import add_distribution_arguments, add_output_arguments
from manywheel.errors import ExitCode
from manywheel.release.check import check_files
from manywheel.release.publish import collect


def configure_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check wheels and sdists as PyPI will, before uploading",
        description="Check distributions the way PyPI does on upload: RECORD lists every "
        "member with a matching sha256 and size, no duplicate or path-escaping members, the "
        "file name's tags equal the WHEEL file's, platform tags PyPI accepts, valid metadata "
        "naming the file's project and version; for an sdist, one name-version/ top "
        "directory. Prints one line per file; exit 1 if any file has a problem.",
    )
    add_output_arguments(parser)
    add_distribution_arguments(parser)
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    verdicts = check_files(collect(args.paths or [Path("wheelhouse")]))
    for verdict in verdicts:
        print(verdict.line())
    bad = sum(1 for v in verdicts if not v.ok)
    if bad:
        print(f"{bad} of {len(verdicts)} file(s) would be rejected by PyPI")
        return ExitCode.FAILED
    return ExitCode.OK
