"""``manywheel build``: build, repair and test wheels for every selected identifier."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from manywheel import api
from manywheel.backends.pip_config import prefetch_pip_config
from manywheel.ci.migrate import unread_settings
from manywheel.commands.common import add_project_arguments, load_session
from manywheel.errors import Cancelled, ConfigError, ExitCode, ManywheelError
from manywheel.planning.in_container import detect
from manywheel.planning.plan import Plan, describe_unavailable
from manywheel.release.sdist import build_sdist
from manywheel.run.live import LiveReporter
from manywheel.run.reporting import (
    Reporter,
    print_summary,
    report_document,
    step_summary,
    write_report,
)


def configure_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "build",
        help="build, repair and test wheels",
        description="Build wheels for every selected CPython and platform, repair them with "
        "auditwheel, test each in a fresh venv, and put them in the output dir.",
    )
    add_project_arguments(parser)
    parser.add_argument(
        "-o", "--output-dir", metavar="DIR", help="where finished wheels go (default: wheelhouse)"
    )
    parser.add_argument(
        "-j", "--jobs", metavar="N", help="jobs run at once (default: from CPU count and memory)"
    )
    parser.add_argument(
        "--fail-fast",
        action="store_true",
        default=None,
        help="stop every job after the first failure",
    )
    parser.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        default=None,
        help="build everything afresh, ignoring (and not filling) the build cache",
    )
    parser.add_argument(
        "--debug-shell",
        action="store_true",
        help="open a shell in each failed job's environment (container or temp dir) before "
        "it is cleaned up; needs an interactive terminal",
    )
    parser.add_argument(
        "--keep-container",
        action="store_true",
        default=None,
        help="keep the container of a failed job for inspection (containers only)",
    )
    parser.add_argument(
        "--toolchain",
        choices=["default", "zig"],
        help="compiler toolchain for builds on the host (default: the host's cc); zig also "
        "cross-compiles foreign arches",
    )
    parser.add_argument(
        "--sdist",
        action="store_true",
        help="also build the sdist (from a clean copy) into the output dir",
    )
    parser.add_argument(
        "--report", type=Path, metavar="FILE", help="write a JSON report of every job to FILE"
    )
    parser.set_defaults(execute=execute)


def _announce(reporter: Reporter, session: api.Session, plan: Plan) -> None:
    """The run's first lines: what will be built, and what the user asked for that will not
    happen (identifiers that cannot be built, credentials kept from build code)."""
    reporter.line(
        f"building {len(plan.jobs)} wheel(s) with --platform {plan.platform}: "
        + " ".join(plan.identifiers)
    )
    if plan.unavailable:
        reporter.line(describe_unavailable(plan.unavailable))
    kept_back = api.withheld_credentials(session, plan)
    if kept_back:
        reporter.line(
            f"not passed to build code (credentials): {', '.join(kept_back)}; to pass one, "
            "name it in environment-pass"
        )
    image = detect(session.environ) if plan.platform == "native" else None
    if image is not None:
        reporter.line(image.note)
    unread = unread_settings(session.project.pyproject, session.environ)
    if unread is not None:
        reporter.line(unread)


def execute(args: argparse.Namespace) -> int:
    if args.debug_shell and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise ConfigError(
            "--debug-shell needs an interactive terminal (stdin and stdout are "
            "not a TTY here); use --keep-container to inspect a failed container."
        )
    session = load_session(args)
    if session.resolver.run.platform != "native":
        prefetch_pip_config()  # read while the plan is made
    plan = api.make_build_plan(session, args.only, args.shard)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    if not plan.jobs:
        why = f"shard {args.shard} has no jobs" if args.shard else "allowed by allow-empty"
        console.print(f"nothing selected to build ({why})")
        if plan.unavailable:
            console.print(describe_unavailable(plan.unavailable), markup=False)
        return ExitCode.OK
    err = Console(stderr=True, highlight=False)
    live = err.is_terminal and not args.quiet and not args.debug_shell
    reporter = LiveReporter(err, plan.identifiers) if live else Reporter(sys.stderr, args.quiet)
    _announce(reporter, session, plan)
    try:
        with reporter if isinstance(reporter, LiveReporter) else contextlib.nullcontext():
            outcome = api.build(session, plan, reporter, debug_shell=args.debug_shell)
    except KeyboardInterrupt:
        raise Cancelled(
            "interrupted: running jobs were stopped and their temporary files removed; "
            "wheels already finished are kept in the output dir."
        ) from None
    results = outcome.results
    sdist_error: ManywheelError | None = None
    if args.sdist:
        try:
            run = session.resolver.run
            sdist = build_sdist(
                session.project, Path(run.output_dir), pass_names=run.environment_pass
            )
            reporter.line(f"sdist: {sdist.name}")
        except ManywheelError as exc:  # the report and summary are still written
            sdist_error = exc
    if args.report:
        document = report_document(
            results, plan.platform, outcome.source_date, unavailable=plan.unavailable
        )
        write_report(args.report, document)
    print_summary(console, results)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as fh:
            fh.write(step_summary(results))
    for kept in outcome.kept:
        console.print(kept, markup=False)
    for problem in outcome.cleanup_errors:
        console.print(f"warning: {problem}", markup=False)
    if outcome.start_errors:  # one paragraph per group that could not start
        for error in outcome.start_errors[1:]:
            print(f"manywheel: error: {error.message}", file=sys.stderr)
        raise outcome.start_errors[0]
    if sdist_error is not None:
        raise sdist_error
    failed = [r for r in results if r.status != "success"]
    if failed:
        console.print(
            f"{len(failed)} of {len(results)} job(s) did not succeed; finished wheels "
            f"are in {session.resolver.run.output_dir}"
        )
        return ExitCode.FAILED
    return ExitCode.OK
