"""A cross build's two sides (backends/cross_backend.py): the build runs on the host in a CPython of
the target's version told about the target, the test runs where the target's CPython is."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path, PurePosixPath

from manywheel.backends.base import SplitExecutor
from manywheel.planning.plan import Job
from manywheel.steps.context import JobContext
from manywheel.steps.test import test_wheel
from manywheel.toolchains.crossfiles import meson_cross_file
from manywheel.toolchains.target import cross_environment

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def prepare_cross_build(ctx: JobContext, split: SplitExecutor) -> Job:
    """Point ``ctx`` at the build side's interpreter and the target's facts; return the job
    as planned (its interpreter is the target's, for the test)."""
    planned = ctx.job
    ctx.job = split.build_job(planned)
    facts = split.target_facts(planned)
    ctx.use_sysroot(facts.sysroot)  # before the zig wrappers are written (ctx.env)
    pythonpath = ctx.env.get("PYTHONPATH") or ctx.executor.base_environment().get("PYTHONPATH", "")
    ctx.build_env = cross_environment(facts, pythonpath)
    if "CC" in ctx.env:  # zig's wrappers: tell meson which machine they build for
        _write_cross_files(ctx, planned.identifier.arch)
    ctx.note(
        f"[manywheel] cross build for {planned.identifier.arch}: the build backend runs in "
        f"{ctx.job.python}, told about the target's {planned.python} (its sysconfig and "
        f"headers, from {planned.image})"
        + (
            f"; system headers and libraries from {facts.sysroot.directory}"
            if facts.sysroot is not None
            else ""
        )
    )
    return planned


def _write_cross_files(ctx: JobContext, arch: str) -> None:
    """A meson cross file, given to meson-python as setup-args (crossfiles.py)."""
    directory = Path(ctx.workdir) / "cross"
    directory.mkdir(parents=True, exist_ok=True)
    meson = directory / "meson-cross.ini"
    meson.write_text(meson_cross_file(ctx.env, arch), encoding="utf-8")
    if build_backend(Path(ctx.project)) == "mesonpy":
        ctx.build_settings.append(("setup-args", f"--cross-file={meson}"))


def build_backend(project: Path) -> str:
    """The project's PEP 517 build-backend ('' when it has none or it cannot be read)."""
    try:
        with (project / "pyproject.toml").open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return ""
    backend = data.get("build-system", {}).get("build-backend", "")
    return backend if isinstance(backend, str) else ""


def test_on_target(
    ctx: JobContext, split: SplitExecutor, planned: Job, wheel: PurePosixPath
) -> bool:
    """Move the repaired wheel to the test side and test it there; False (with a note in the
    log) when there is no test side."""
    tester = split.started_tester()
    if tester is None:
        said = f"test skipped: {split.no_test_reason()}"
        ctx.note(f"[manywheel] {said}")
        ctx.announce(said)  # the run's output: "not tested" alone does not say why
        return False
    workdir = tester.make_workdir(planned.name)
    moved = workdir / "wheel" / wheel.name
    with tempfile.TemporaryDirectory(prefix="manywheel-cross-") as tmp:
        local = Path(tmp) / wheel.name
        ctx.executor.copy_out(wheel, local)
        tester.put_file(local, moved)
    test_ctx = JobContext(planned, tester, ctx.log, workdir, ctx.cancel_event, ctx.on_step)
    test_ctx.project = tester.prepare_source(workdir / "src")
    test_ctx.warnings = ctx.warnings  # the test's (e.g. the GIL check's) are the job's
    test_wheel(test_ctx, moved)
    return True
