"""Audit step (cibuildwheel 4's): audit-command on each repaired wheel, abi3audit by default.

As in cibuildwheel, the audit runs on the host, in a throwaway venv of manywheel's own Python
with ``audit-requires`` installed: abi3audit needs Python >= 3.10, while abi3 wheels are built
with the oldest CPython selected, and a container may have no network.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from packaging.utils import parse_wheel_filename

from manywheel.config.credentials import without_credentials
from manywheel.errors import StepFailed
from manywheel.planning.interpreters import uv_binary
from manywheel.steps.context import JobContext

FINDINGS_LINES = 20  # of the audit tool's output, in the job's error


def is_abi3_wheel(name: str) -> bool:
    _, _, _, tags = parse_wheel_filename(name)
    return any(tag.abi == "abi3" for tag in tags)


def applicable_commands(audit_command: str, wheel_name: str) -> list[str]:
    """The commands of ``audit-command`` that apply to this wheel ({abi3_wheel}: abi3 only)."""
    commands = [c for c in audit_command.split(" && ") if c.strip()]
    abi3 = is_abi3_wheel(wheel_name)
    return [c for c in commands if "{abi3_wheel}" not in c or abi3]


def audit_wheel(ctx: JobContext, wheel: PurePosixPath) -> None:
    """Run the applicable audit commands; raise StepFailed with the tool's findings."""
    options = ctx.job.options
    commands = applicable_commands(options.audit_command, wheel.name)
    if not commands:
        why = "audit-command is empty" if not options.audit_command.strip() else "not abi3"
        ctx.note(f"\n[manywheel] audit: nothing to run for {wheel.name} ({why})")
        return
    with ctx.timed("audit"), tempfile.TemporaryDirectory(prefix="manywheel-audit-") as tmp:
        local = Path(tmp) / "wheel" / wheel.name
        local.parent.mkdir()
        ctx.executor.copy_out(wheel, local)
        venv = Path(tmp) / "venv"
        _make_audit_venv(ctx, venv, options.audit_requires, cwd=Path(tmp))
        env = {"VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '')}"}
        for template in commands:
            command = ctx.fill(template, abi3_wheel=str(local), wheel=str(local))
            code, output = _host_run(ctx, ["sh", "-c", command], cwd=local.parent, env=env)
            if code != 0:
                raise StepFailed(
                    f"audit failed: '{template}' exited with status {code} on {wheel.name}:\n"
                    f"{output}",
                    step="audit",
                    command=command,
                    returncode=code,
                )


def _make_audit_venv(ctx: JobContext, venv: Path, requires: Sequence[str], cwd: Path) -> None:
    uv = uv_binary()
    python = str(venv / "bin" / "python")
    if uv:
        steps = [[uv, "venv", "--quiet", "--python", sys.executable, str(venv)]]
        install = [uv, "pip", "install", "--quiet", "--python", python]
    else:
        steps = [[sys.executable, "-m", "venv", str(venv)]]
        install = [python, "-m", "pip", "install", "--quiet"]
    if requires:
        steps.append([*install, *requires])
    for argv in steps:
        code, output = _host_run(ctx, argv, cwd=cwd, env={})
        if code != 0:
            raise StepFailed(
                f"audit failed: cannot install audit-requires ({' '.join(requires)}):\n{output}",
                step="audit",
                command=shlex.join(argv),
                returncode=code,
            )


def _host_run(
    ctx: JobContext, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str]
) -> tuple[int, str]:
    """Run a host command, its output into the job's log; its status and its output's tail."""
    ctx.check_cancelled()
    ctx.note(f"\n[manywheel] audit: $ {shlex.join(argv)}")
    try:
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            # audit-requires may build from source: no credentials, as for any build code
            env={**without_credentials(os.environ, ctx.job.options.environment_pass), **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            check=False,
        )
    except OSError as exc:
        ctx.note(f"manywheel: cannot run {argv[0]}: {exc.strerror}")
        return 127, f"cannot run {argv[0]}: {exc.strerror}"
    if proc.stdout:
        ctx.note(proc.stdout.rstrip("\n"))
    ctx.check_cancelled()
    lines = proc.stdout.rstrip("\n").splitlines()[-FINDINGS_LINES:]
    return proc.returncode, "\n".join(lines) or "(no output)"
