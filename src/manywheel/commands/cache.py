"""``manywheel cache info|prune|clear``: look at and trim the build cache."""

from __future__ import annotations

import argparse
import shutil
from typing import Any

from manywheel.caching.wheel_cache import WheelCache, default_cache_root
from manywheel.commands.common import add_output_arguments
from manywheel.errors import ExitCode


def configure_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cache",
        help="show or trim the build cache",
        description="The build cache keeps repaired wheels keyed on everything that affects "
        "them. 'info' shows its size, 'prune' removes least recently used entries until it "
        "fits --max-size, 'clear' empties it. Location: $MANYWHEEL_CACHE_DIR or "
        "~/.cache/manywheel/wheels.",
    )
    add_output_arguments(parser)
    parser.add_argument("action", choices=["info", "prune", "clear"])
    parser.add_argument(
        "--max-size", type=int, default=4096, metavar="MIB", help="prune: size to fit (MiB)"
    )
    parser.set_defaults(execute=execute)


def execute(args: argparse.Namespace) -> int:
    cache = WheelCache(default_cache_root(), args.max_size * 2**20)
    if args.action == "info":
        entries = cache.entries()
        total = sum(size for _, size, _ in entries)
        print(f"cache: {cache.root}")
        print(f"entries: {len(entries)}, size: {total / 2**20:.1f} MiB")
    elif args.action == "prune":
        removed, freed = cache.prune(args.max_size * 2**20)
        print(f"removed {removed} entries ({freed / 2**20:.1f} MiB) from {cache.root}")
    else:
        shutil.rmtree(cache.root, ignore_errors=True)
        print(f"cleared {cache.root}")
    return ExitCode.OK
