"""``manywheel doctor``: check engines, QEMU, interpreters, tools and the index."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

from manywheel.commands.common import add_output_arguments
from manywheel.diagnose.doctor import run_checks
from manywheel.errors import ExitCode

MARKS = {"ok": "ok     ", "warning": "warning", "problem": "PROBLEM"}


def configure_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check that this machine can build wheels",
        description="Check container engines (podman's runtime and ulimits, the docker "
        "daemon), QEMU binfmt handlers, interpreters for the native backend, auditwheel and "
        "friends, zig, and the package index; each finding comes with a fix. Exit status 1 "
        "when there is a problem.",
    )
    add_output_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    checks = run_checks()
    if args.json:
        print(json.dumps([dataclasses.asdict(c) for c in checks], indent=2))
    else:
        for check in checks:
            print(f"{MARKS[check.verdict]}  {check.name}: {check.detail}")
            if check.fix:
                print(f"         fix: {check.fix}")
    return ExitCode.FAILED if any(c.verdict == "problem" for c in checks) else ExitCode.OK
