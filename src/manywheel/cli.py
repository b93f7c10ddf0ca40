"""The ``manywheel`` command: parse arguments, run a subcommand, turn errors into messages."""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys
import traceback
from collections.abc import Sequence
from types import FrameType
from typing import Any

from manywheel import __version__
from manywheel.commands import (
    build,
    cache,
    check,
    ci,
    doctor,
    explain,
    migrate,
    plan,
    publish,
    sdist,
)
from manywheel.errors import ExitCode, ManywheelError

COMMANDS = [build, plan, sdist, check, publish, explain, doctor, ci, migrate, cache]


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="manywheel",
        description="Build repaired, tested manylinux/musllinux wheels for every CPython and "
        "Linux architecture a project supports, and publish them.",
        epilog="Exit status: 0 success, 1 a job failed, 2 configuration or usage error, "
        "3 nothing selected to build, 4 a required tool is missing, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"manywheel {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in COMMANDS:
        module.configure_parser(subparsers)
    return parser


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "execute"):
        parser.print_help()
        return ExitCode.CONFIG
    # SIGTERM (CI cancelling) and SIGHUP (the terminal went away) clean up like Ctrl-C;
    # a signal the caller chose to ignore (nohup) stays ignored
    previous: dict[signal.Signals, Any] = {}
    try:
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) is signal.SIG_IGN:
                continue
            previous[sig] = signal.getsignal(sig)
            signal.signal(sig, _raise_interrupt)
    except ValueError:  # not the main thread (in-process tests)
        previous = {}
    try:
        return int(args.execute(args))
    except ManywheelError as exc:
        if getattr(args, "verbose", False):
            traceback.print_exc()
        print(f"manywheel: error: {exc.message}", file=sys.stderr)
        if exc.tip:
            print(f"manywheel: tip: {exc.tip}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print(
            "manywheel: interrupted; temporary files and containers were removed.", file=sys.stderr
        )
        return ExitCode.INTERRUPTED
    except BrokenPipeError as exc:
        if not _stdout_closed():
            return _internal_error(args, exc)
        # the reader went away (`manywheel plan | head`): end quietly, as a shell tool does
        return 128 + signal.SIGPIPE
    except Exception as exc:  # a bug: say so in one paragraph, trace only with -v
        return _internal_error(args, exc)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stdout_closed() -> bool:
    """Whether stdout is a pipe whose reader has gone (the write end then polls as an error);
    if so, stdout is pointed at /dev/null, so that the interpreter's own flush at exit does
    not complain a second time."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        gone = any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError):  # no real stdout (in-process tests)
        return False
    if gone:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return gone


def _internal_error(args: argparse.Namespace, exc: BaseException) -> int:
    """A bug: said in one paragraph, the trace only with -v."""
    if getattr(args, "verbose", False):
        traceback.print_exception(type(exc), exc, exc.__traceback__)
    print(
        f"manywheel: internal error: {type(exc).__name__}: {exc}. This is a bug in "
        f"manywheel {__version__}; rerun with -v for the traceback and report it.",
        file=sys.stderr,
    )
    return ExitCode.FAILED
