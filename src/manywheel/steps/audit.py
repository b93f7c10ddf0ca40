"""Audit step (cibuildwheel 4's): audit-command on each repaired wheel, abi3audit by default.

As in cibuildwheel, the audit runs on the host, in a throwaway venv of manywheel's own Python
with ``audit-requires`` installed: abi3audit needs Python >= 3.10, while abi3 wheels are built
with the oldest CPython selected, and a container may have no network.

The venv is made while the wheel is repaired (``audit_venv_beside``), in a thread of its own:
the repair keeps one core busy at the end of a build, and making the venv (0.5-0.7 s, most of
it the package index's answer) would otherwise follow it. Its lines go into the job's log when
the audit runs, after the repair's.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
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


@dataclass(frozen=True)
class AuditVenv:
    """The audit's venv, being made in a thread (``made``); what making it said, for the log."""

    path: Path
    made: Future[None]
    notes: list[str]

    def ready(self, ctx: JobContext) -> Path:
        """The venv once made, its commands' lines put in the job's log; raises as making it
        did."""
        try:
            self.made.result()
        finally:
            for line in self.notes:
                ctx.note(line)
        return self.path


@contextmanager
def audit_venv_beside(ctx: JobContext, built: str) -> Iterator[AuditVenv | None]:
    """Start making the audit's venv for the wheel named ``built`` (None: no audit command
    applies to it; the repair changes its platform tag, not whether it is abi3), for
    ``audit_wheel`` to use once the wheel is repaired. It is removed on leaving, also when the
    repair fails (after waiting for it to be made)."""
    options = ctx.job.options
    if not applicable_commands(options.audit_command, built):
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="manywheel-audit-") as tmp:
        pool = ThreadPoolExecutor(1, thread_name_prefix="manywheel-audit")
        with pool:  # waited for before the directory goes
            venv = Path(tmp) / "venv"
            notes: list[str] = []
            uv = uv_binary()  # looked up here: its first lookup is not thread-safe
            made = pool.submit(
                _make_audit_venv, ctx, uv, venv, options.audit_requires, notes.append
            )
            yield AuditVenv(venv, made, notes)


def audit_wheel(ctx: JobContext, wheel: PurePosixPath, venv: AuditVenv | None) -> None:
    """Run the applicable audit commands in ``venv`` (audit_venv_beside); raise StepFailed with
    the tool's findings."""
    options = ctx.job.options
    commands = applicable_commands(options.audit_command, wheel.name)
    if not commands:
        why = "audit-command is empty" if not options.audit_command.strip() else "not abi3"
        ctx.note(f"\n[manywheel] audit: nothing to run for {wheel.name} ({why})")
        return
    if venv is None:  # not started for the built wheel's name: made now
        with audit_venv_beside(ctx, wheel.name) as made:
            audit_wheel(ctx, wheel, made)
        return
    with ctx.timed("audit"):
        path = venv.ready(ctx)
        local = path.parent / "wheel" / wheel.name
        local.parent.mkdir()
        ctx.executor.copy_out(wheel, local)
        env = {"VIRTUAL_ENV": str(path), "PATH": f"{path / 'bin'}:{os.environ.get('PATH', '')}"}
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


def _make_audit_venv(
    ctx: JobContext,
    uv: str | None,
    venv: Path,
    requires: Sequence[str],
    note: Callable[[str], None],
) -> None:
    """Make ``venv`` with ``requires`` installed, in its parent dir (the audit's own)."""
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
        code, output = _host_run(ctx, argv, cwd=venv.parent, env={}, note=note)
        if code != 0:
            raise StepFailed(
                f"audit failed: cannot install audit-requires ({' '.join(requires)}):\n{output}",
                step="audit",
                command=shlex.join(argv),
                returncode=code,
            )


def _host_run(
    ctx: JobContext,
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    note: Callable[[str], None] | None = None,
) -> tuple[int, str]:
    """Run a host command, its output into the job's log (or to ``note``); its status and its
    output's tail."""
    note = ctx.note if note is None else note
    ctx.check_cancelled()
    note(f"\n[manywheel] audit: $ {shlex.join(argv)}")
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
        note(f"manywheel: cannot run {argv[0]}: {exc.strerror}")
        return 127, f"cannot run {argv[0]}: {exc.strerror}"
    if proc.stdout:
        note(proc.stdout.rstrip("\n"))
    ctx.check_cancelled()
    lines = proc.stdout.rstrip("\n").splitlines()[-FINDINGS_LINES:]
    return proc.returncode, "\n".join(lines) or "(no output)"
