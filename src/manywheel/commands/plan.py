"""``manywheel plan``: print the build identifiers that would be built."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any

from manywheel import api
from manywheel.commands.common import add_project_arguments, load_session
from manywheel.config.model import Options
from manywheel.diagnose.libc_floor import host_libc, host_statement
from manywheel.errors import ExitCode
from manywheel.planning.in_container import detect
from manywheel.planning.plan import describe_unavailable


def configure_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="print the build identifiers that would be built",
        description="Print the build identifiers 'manywheel build' would build, one a line "
        "(like cibuildwheel --print-build-identifiers). Nothing is built.",
    )
    add_project_arguments(parser)
    parser.add_argument(
        "--json", action="store_true", help="print details (interpreter, image, tests) as JSON"
    )
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    session = load_session(args)
    plan = api.make_build_plan(session, args.only, args.shard)
    floor = native_floor(plan.platform, session.resolver.run, session.environ)
    if args.json:
        document = {
            "platform": plan.platform,
            "libc_floor": floor,
            "jobs": [
                {
                    "identifier": job.name,
                    "python": job.python,
                    "python_version": job.python_version,
                    "image": job.image or None,
                    "arch": job.identifier.arch,
                    "test": job.run_tests,
                }
                for job in plan.jobs
            ],
            "unavailable": [
                {"identifier": str(u.identifier), "reason": u.reason} for u in plan.unavailable
            ],
        }
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for name in plan.identifiers:
            print(name)
        # stdout stays one identifier a line, for scripts
        if plan.unavailable:
            print(f"note: {describe_unavailable(plan.unavailable)}", file=sys.stderr)
        if floor:
            print(f"note: {floor}", file=sys.stderr)
    return ExitCode.OK


def native_floor(platform: str, run: Options, environ: Mapping[str, str]) -> str | None:
    """What the host's libc means for the wheels of a native plan (None for containers)."""
    if platform != "native":
        return None
    image = detect(environ)
    if image is not None:
        return image.note
    return host_statement(host_libc(), run.toolchain, run.manylinux_policy)
