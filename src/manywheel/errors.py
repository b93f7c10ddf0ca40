"""The error classes of manywheel.

Every error the user can cause or meet carries an exit code and a message that says what went
wrong, where it came from and how to fix it. Only ``cli.main`` prints them.
"""

from __future__ import annotations

import enum
from pathlib import Path


class ExitCode(enum.IntEnum):
    """Exit statuses of the ``manywheel`` command (documented in docs/getting-started.md)."""

    OK = 0
    FAILED = 1  # a job failed, or a runtime problem stopped the run
    CONFIG = 2  # bad configuration or command-line usage
    NOTHING_TO_BUILD = 3  # the selection matched no build identifier
    ENVIRONMENT = 4  # a required tool (engine, interpreter, zig) is missing or broken
    INTERRUPTED = 130  # SIGINT/SIGTERM


class ManywheelError(Exception):
    """Root of all manywheel errors: a one-paragraph message plus an optional tip."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str, *, tip: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.tip = tip

    def __str__(self) -> str:
        return self.message


class ConfigError(ManywheelError, ValueError):
    """An option, selector, file or argument is invalid."""

    exit_code = ExitCode.CONFIG


class NothingToBuildError(ManywheelError):
    """The build selection is empty."""

    exit_code = ExitCode.NOTHING_TO_BUILD


class EnvironmentProblem(ManywheelError):
    """Something manywheel needs on this machine is missing or broken."""

    exit_code = ExitCode.ENVIRONMENT


class StepFailed(ManywheelError):
    """A command of a job's step exited non-zero."""

    def __init__(
        self,
        message: str,
        *,
        step: str,
        command: str,
        returncode: int,
        log: Path | None = None,
        log_end: int | None = None,
    ) -> None:
        super().__init__(message)
        self.step = step
        self.command = command
        self.returncode = returncode
        # the log the command wrote, and its length when the command's lines ended: what is
        # added later (the lines of a backend's hook that ran beside a build) is not the
        # failure's, and the summary's tail of the log ends there
        self.log = log
        self.log_end = log_end

    def with_message(self, message: str) -> StepFailed:
        """The same failure, said as ``message``."""
        return StepFailed(
            message,
            step=self.step,
            command=self.command,
            returncode=self.returncode,
            log=self.log,
            log_end=self.log_end,
        )


class Cancelled(ManywheelError):
    """The run was interrupted (Ctrl-C, SIGTERM, or --fail-fast after another job failed)."""

    exit_code = ExitCode.INTERRUPTED


class GroupNotStarted(ManywheelError):
    """A group's executor could not be started or set up; its jobs did not start.

    Carries the exit code of the underlying problem (4 for a missing engine or image)."""

    def __init__(self, message: str, *, exit_code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class CleanupFailed(ManywheelError):
    """A temp dir or container could not be removed; the message says how to remove it."""


class ToolError(ManywheelError):
    """A library manywheel calls in-process (auditwheel, twine, build, uv) raised an error:
    shown as that tool's error, with its own message, never as a bug in manywheel."""

    def __init__(self, tool: str, exc: BaseException) -> None:
        detail = str(exc).strip() or type(exc).__name__
        super().__init__(f"{tool}: {detail} ({type(exc).__name__})")
        self.tool = tool


class DistributionCheckFailed(StepFailed):
    """A wheel or sdist has what PyPI rejects (``manywheel check``); in a build, the job's
    "check" step fails and the wheel never lands in the output dir."""

    def __init__(self, message: str) -> None:
        super().__init__(message, step="check", command="", returncode=1)


class WheelCollision(StepFailed):
    """Two jobs of one run produced different wheels under one file name."""
