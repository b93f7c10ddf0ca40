"""``manywheel publish``: twine check, then upload wheels and sdist to an index."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from manywheel.commands.common import add_distribution_arguments, add_output_arguments
from manywheel.config.secrets import Masker
from manywheel.errors import ConfigError, ExitCode
from manywheel.release.check import require_valid
from manywheel.release.publish import Target, check_consistent, collect, twine_check, upload


def configure_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "publish",
        help="upload wheels and sdist with twine",
        description=(
            "Check the distributions (same project and version, manywheel check, twine "
            "check) and upload them with twine. Credentials come from "
            "MANYWHEEL_USERNAME/MANYWHEEL_PASSWORD, TWINE_USERNAME/TWINE_PASSWORD, "
            "MANYWHEEL_TOKEN (user __token__) or .pypirc; they are never printed."
        ),
    )
    add_output_arguments(parser)
    add_distribution_arguments(parser)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--repository-url", metavar="URL", help="the index's upload URL")
    where.add_argument(
        "-r", "--repository", metavar="NAME", help="a repository named in .pypirc (default: pypi)"
    )
    parser.add_argument(
        "--config-file", type=Path, metavar="FILE", help="the .pypirc to read (default: ~/.pypirc)"
    )
    parser.add_argument(
        "--skip-existing",
        action="store_true",
        help="skip files already on the index instead of failing",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check and list what would be uploaded, upload nothing",
    )
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    masker = Masker.from_environ(os.environ)
    url = args.repository_url or os.environ.get("MANYWHEEL_REPOSITORY_URL")
    if url:
        masker.add_url(url)
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"--repository-url: {masker.mask(url)!r} is not an http(s) URL.")
    target = Target(url, None if url else (args.repository or "pypi"), args.config_file)
    files = collect(args.paths or [Path("wheelhouse")])
    name, version = check_consistent(files)
    require_valid(files, "nothing was uploaded")
    twine_check(files, masker)
    if args.dry_run:
        print(f"would upload {name} {version} to {target.shown}:")
        for file in files:
            print(f"  {file.name}")
        return ExitCode.OK
    outcomes = upload(
        files,
        target,
        skip_existing=args.skip_existing,
        masker=masker,
        environ=os.environ,
        say=lambda line: print(line, file=sys.stderr),
    )
    uploaded = sum(1 for o in outcomes.values() if o == "uploaded")
    print(
        f"published {name} {version} to {target.shown}: {uploaded} uploaded, "
        f"{len(outcomes) - uploaded} already there"
    )
    return ExitCode.OK
