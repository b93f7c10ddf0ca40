"""Repair step: auditwheel (or the user's repair command) vendors libraries and retags."""

from __future__ import annotations

import shlex
from pathlib import PurePosixPath

from manywheel.environment import fill
from manywheel.errors import StepFailed
from manywheel.steps.context import JobContext


def repair_wheel(ctx: JobContext, wheel: PurePosixPath) -> PurePosixPath:
    """Repair into <workdir>/repaired and return the one repaired wheel."""
    command = ctx.job.options.repair_wheel_command
    dest = ctx.workdir / "repaired"
    if not command.strip():
        ctx.run("repair", ["mkdir", "-p", str(dest)])
        ctx.executor.copy_tree(wheel, dest / wheel.name)
        return dest / wheel.name
    filled = fill(
        command,
        wheel=str(wheel),
        dest_dir=str(dest),
        project=str(ctx.project),
        package=str(ctx.project),
    )
    # one process: each command in a container costs an exec round trip
    ctx.shell(
        "repair",
        f"mkdir -p {shlex.quote(str(dest))} && {filled}",
        cwd=ctx.workdir,
        env={"PATH": ctx.path_with(ctx.executor.tool_path())},
    )
    wheels = ctx.executor.list_files(dest, ".whl")
    if len(wheels) != 1:
        raise StepFailed(
            f"the repair command left {len(wheels)} wheels in {{dest_dir}}, expected exactly "
            "one. A custom repair-wheel-command must write the repaired wheel to {dest_dir}.",
            step="repair",
            command=filled,
            returncode=0,
        )
    return wheels[0]
