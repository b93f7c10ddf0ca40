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
        description="Check distributions the way PyPI does on upload, each problem with "
        "PyPI's own reason: the file name (normalised name and version, PEP 625 sdists, "
        "platform tags PyPI accepts), the archive (ZIP framing and compression, one sdist "
        "top directory with PKG-INFO), the metadata (packaging's validation, trove "
        "classifiers, no direct-URL dependency, no local version, Project-URL labels, "
        "e-mails, URLs, a description that renders) and the wheel's .dist-info. Then "
        "manywheel's own integrity rules, which PyPI does not apply: RECORD hashes and "
        "sizes, WHEEL tags, member paths. Prints a line per file and one per problem; exit 1 "
        "if any file has a problem.",
    )
    add_output_arguments(parser)
    add_distribution_arguments(parser)
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    verdicts = check_files(collect(args.paths or [Path("wheelhouse")]))
    for verdict in verdicts:
        print("\n".join(verdict.lines()))
    rejected = sum(1 for v in verdicts if v.refused_on_upload)
    broken = sum(1 for v in verdicts if not v.ok and not v.refused_on_upload)
    if rejected:
        print(f"{rejected} of {len(verdicts)} file(s) would be rejected by PyPI")
    if broken:
        print(f"{broken} of {len(verdicts)} file(s) are broken in ways PyPI does not check")
    return ExitCode.FAILED if rejected or broken else ExitCode.OK
