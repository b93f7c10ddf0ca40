"""``manywheel ci github|gitlab``: write a sharded release workflow for CI."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from manywheel.ci import WorkflowOptions
from manywheel.ci.github import workflow
from manywheel.ci.gitlab import pipeline
from manywheel.commands.common import add_output_arguments
from manywheel.config import parsers
from manywheel.config.declarations import ARCH_WORDS
from manywheel.errors import ConfigError, ExitCode

DEFAULT_PATHS = {"github": Path(".github/workflows/wheels.yml"), "gitlab": Path(".gitlab-ci.yml")}


def configure_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ci",
        help="write a sharded CI release workflow (GitHub Actions, GitLab CI)",
        description="Write a release workflow: on version tags (and by hand) it builds the "
        "sdist, builds wheels in a matrix of arch x shard jobs ('manywheel build --shard I/N'), "
        "and publishes everything.",
    )
    add_output_arguments(parser)
    parser.add_argument("provider", choices=["github", "gitlab"])
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="where to write (default: .github/workflows/wheels.yml or .gitlab-ci.yml)",
    )
    parser.add_argument("--stdout", action="store_true", help="print instead of writing")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.add_argument("--archs", default="x86_64", help="arches, e.g. 'x86_64 aarch64'")
    parser.add_argument(
        "--shards", type=int, default=1, metavar="N", help="build jobs per arch (default: 1)"
    )
    parser.add_argument(
        "--publish",
        choices=["trusted", "token", "none"],
        default="trusted",
        help="trusted publishing (an OIDC token, no secret; GitHub and GitLab), a "
        "PYPI_API_TOKEN secret/variable, or no publish job (default: trusted)",
    )
    parser.add_argument("--python-version", default="3.12", help="the runners' Python")
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    archs = parsers.choices(*ARCH_WORDS)(args.archs, "--archs")
    if any(a in ("auto", "native", "all", "auto64", "auto32") for a in archs):
        raise ConfigError("--archs: name the arches the workflow builds, e.g. 'x86_64 aarch64'.")
    if not 1 <= args.shards <= 64:
        raise ConfigError(f"--shards: {args.shards} is not valid; expected 1 to 64.")
    options = WorkflowOptions(archs, args.shards, args.publish, args.python_version)
    text = workflow(options) if args.provider == "github" else pipeline(options)
    if args.stdout:
        print(text, end="")
        return ExitCode.OK
    path = args.output or DEFAULT_PATHS[args.provider]
    if path.exists() and not args.force:
        raise ConfigError(f"{path} exists; pass --force to overwrite it or -o to write elsewhere.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return ExitCode.OK
