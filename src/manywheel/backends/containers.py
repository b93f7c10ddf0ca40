"""Container backends (docker, podman): not implemented yet."""

from __future__ import annotations

from manywheel.backends.base import Backend
from manywheel.config.model import Options
from manywheel.errors import EnvironmentProblem
from manywheel.plan import Candidate
from manywheel.project import Project


def _unavailable(run: Options) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"--platform {run.platform}: container builds are not available in this version of "
        "manywheel yet. Use --platform native."
    )


def container_candidates(run: Options) -> list[Candidate]:
    raise _unavailable(run)


def container_backend(project: Project, run: Options) -> Backend:
    raise _unavailable(run)
