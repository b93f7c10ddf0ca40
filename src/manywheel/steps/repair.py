"""Repair step: auditwheel (or the user's repair command) vendors libraries and retags."""

from __future__ import annotations

import shlex
import sys
import tempfile
from pathlib import Path, PurePosixPath

from manywheel.config.model import DEFAULT_REPAIR_COMMAND
from manywheel.diagnose.compile_errors import left_out
from manywheel.diagnose.explain import NoCompiledCode, explain, render
from manywheel.diagnose.missing_files import commands_not_found
from manywheel.errors import ManywheelError, StepFailed
from manywheel.files import log_length, log_text
from manywheel.planning.interpreters import host_arch
from manywheel.steps.context import JobContext
from manywheel.steps.wheel_tags import expected_tags, shown_tags, wheel_tags
from manywheel.toolchains.zig import policy_glibc


def repair_wheel(ctx: JobContext, wheel: PurePosixPath) -> PurePosixPath:
    """Repair into <workdir>/repaired and return the one repaired wheel."""
    command = ctx.job.options.repair_wheel_command
    zig = ctx.job.options.toolchain == "zig" and ctx.on_host
    if zig and command == DEFAULT_REPAIR_COMMAND:
        # the wheel must carry the policy zig targeted, not just the best one it meets
        policy, _ = policy_glibc(ctx.job.options.manylinux_policy)
        arch = ctx.job.identifier.arch
        auditwheel = "auditwheel"
        if arch != host_arch():  # a cross build: auditwheel's --plat knows the host's only
            auditwheel = _cross_auditwheel(ctx, arch)
        command = f"{auditwheel} repair --plat {policy}_{arch} -w {{dest_dir}} {{wheel}}"
    dest = ctx.workdir / "repaired"
    if not command.strip():
        script = 'mkdir -p "$1" && cp "$2" "$1/"'
        ctx.run("repair", ["sh", "-c", script, "sh", str(dest), str(wheel)])
        return dest / wheel.name
    filled = _repair(ctx, command, wheel, dest)
    wheels = ctx.executor.list_files(dest, ".whl")
    if len(wheels) != 1:
        raise StepFailed(
            f"the repair command left {len(wheels)} wheels in {{dest_dir}}, expected exactly "
            "one. A custom repair-wheel-command must write the repaired wheel to {dest_dir}.",
            step="repair",
            command=filled,
            returncode=0,
        )
    expected = expected_tags(ctx.job)
    if not expected.accepts(wheels[0].name):  # a repair command that retagged it
        raise StepFailed(
            f"the repair command turned {wheel.name} into {wheels[0].name}, tagged "
            f"{shown_tags(wheels[0].name)}, but {ctx.job.name} ({ctx.job.identifier.describe()}) "
            f"installs only wheels tagged {expected.shown}. A custom repair-wheel-command must "
            "keep the wheel's Python and ABI tags (only the platform tag changes).",
            step="repair",
            command=filled,
            returncode=0,
        )
    return wheels[0]


# auditwheel's words for a wheel whose extensions link no C library (tornado's speedups.abi3.so):
# without --plat (AUDITWHEEL_PLAT, which pypa's images set) it cannot tell glibc from musl
_LIBC_UNKNOWN = "couldn't detect libc for python extension"


def _repair(ctx: JobContext, command: str, wheel: PurePosixPath, dest: PurePosixPath) -> str:
    """Run the repair command (filled); a failure says why as well as it can be told."""
    filled = ctx.fill(command, wheel=str(wheel), dest_dir=str(dest))
    # one process: each command in a container costs an exec round trip; in the project copy,
    # as cibuildwheel runs it (a second command's "python tools/embed_sbom.py {dest_dir}")
    start = log_length(ctx.log) or 0
    try:
        ctx.shell(
            "repair",
            f"mkdir -p {shlex.quote(str(dest))} && {filled}",
            cwd=ctx.project,
            env={"PATH": ctx.path_with(ctx.executor.tool_path())},
        )
    except StepFailed as exc:
        said = log_text(ctx.log, start, exc.log_end)
        if command == DEFAULT_REPAIR_COMMAND and _LIBC_UNKNOWN in said:
            plat = _oldest_policy(ctx)
            ctx.announce(
                "auditwheel could not tell the wheel's C library (its extensions link none): "
                f"repairing for {plat}, the oldest policy of the job's libc and arch, which is "
                "what 'auto' gives such a wheel"
            )
            retry = f"auditwheel repair --plat {plat} -w {{dest_dir}} {{wheel}}"
            return _repair(ctx, retry, wheel, dest)
        _say_why(ctx, exc, wheel, said, dest)
        raise
    return filled


def _oldest_policy(ctx: JobContext) -> str:
    """The policy auditwheel's 'auto' picks for a wheel that needs nothing of the C library:
    the oldest of the job's libc and arch (manylinux_2_5_x86_64, manylinux_2_17_aarch64,
    musllinux_1_2_x86_64)."""
    from auditwheel.architecture import Architecture
    from auditwheel.libc import Libc
    from auditwheel.policy import WheelPolicies

    ident = ctx.job.identifier
    musl = ident.kind == "musllinux"
    policies = WheelPolicies(
        libc=Libc.MUSL if musl else Libc.GLIBC,
        arch=Architecture(ident.arch),
        musl_policy="musllinux_1_2" if musl else None,  # pypa's musllinux images'
    )
    return str(policies.highest.name)


def _say_why(
    ctx: JobContext, exc: StepFailed, wheel: PurePosixPath, said: str, dest: PurePosixPath
) -> None:
    """Add to the failure why the repair failed: the library a cross repair did not find, a
    program the command ran that is not there, that a repaired wheel was written before the
    command failed (the failure is the command's own), or auditwheel's explanation."""
    missing = _missing_library_note(ctx)
    if missing:  # the cross repair said which library and how to provide it
        exc.message += f": {missing.removeprefix('manywheel: ')}"
        return
    absent = commands_not_found(said) if exc.returncode == 127 else []
    if absent:  # a program of the command is not there: nothing the wheel could explain
        exc.message += _not_found(absent, on_host=ctx.on_host)
        return
    written = ctx.executor.list_files(dest, ".whl")
    if written:  # auditwheel did its part; what came after it failed
        exc.message += (
            f": it wrote {', '.join(w.name for w in written)} to {{dest_dir}} before it failed, "
            "so the wheel was repaired and the failure is the command's own (its output is in "
            "the log)"
        )
        return
    why = _explanation(ctx, wheel)
    if why:
        exc.message += f". Why the wheel cannot be repaired:\n{why}"
        ctx.note(why)


def _not_found(commands: list[str], *, on_host: bool) -> str:
    """Why a repair command exited 127: the programs it ran that are not there."""
    one = len(commands) == 1
    where = "on this host's PATH" if on_host else "in the image"
    install = "on this host" if on_host else "in the image (system-packages or before-all)"
    return (
        f": it ran {', '.join(commands)}, which {'is' if one else 'are'} not {where}. Install "
        f"{'it' if one else 'them'} {install}, or change repair-wheel-command"
    )


def _note_file(ctx: JobContext) -> Path:
    return Path(ctx.workdir) / "repair-missing-library.txt"


def _cross_auditwheel(ctx: JobContext, arch: str) -> str:
    """auditwheel with ``arch`` as the detected one, searching the target's libraries."""
    words = [sys.executable, "-m", "manywheel.toolchains.auditwheel_cross", arch]
    if ctx.sysroot is not None:
        note = _note_file(ctx)
        note.unlink(missing_ok=True)
        words += ["--sysroot", str(ctx.sysroot.directory), ctx.sysroot.image, str(note)]
    return shlex.join(words)


def _missing_library_note(ctx: JobContext) -> str:
    try:
        return _note_file(ctx).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _explanation(ctx: JobContext, wheel: PurePosixPath) -> str:
    """``manywheel explain`` of the built wheel, on a host copy of it."""
    with tempfile.TemporaryDirectory(prefix="manywheel-explain-") as tmp:
        local = Path(tmp) / wheel.name
        try:
            ctx.executor.copy_out(wheel, local)
            return render(explain(local))
        except NoCompiledCode:
            return _no_compiled_code(ctx, wheel)
        except ManywheelError as exc:  # e.g. auditwheel cannot analyse it: say so, as its error
            return f"(no explanation: {exc.message})"
        except OSError:
            return ""


def _no_compiled_code(ctx: JobContext, wheel: PurePosixPath) -> str:
    """Why a wheel tagged for this platform holds nothing compiled: the build left the
    extension out (diagnose/compile_errors.py), with the compiler's words when its log has
    them."""
    tagged = ".".join(sorted(str(t) for t in wheel_tags(wheel.name)))
    why = left_out(ctx.log, native=ctx.on_host, system_packages=ctx.job.options.system_packages)
    return (
        f"{wheel.name} holds no compiled code (no extension module, no shared library), though "
        f"the build tagged it {tagged}: the build left the project's extension "
        f"out. Some projects build a wheel without their extension when it does not compile."
        f"{why}"
    )
