"""The variables that let a build use more than one core, when it has them (run/build_slots.py).

Each build system is reached without touching the project:
- make (a Makefile a setup.py runs, CMake's Makefile generator) reads ``MAKEFLAGS=-jN``;
- ``cmake --build`` (scikit-build-core, setup.py's calling CMake) reads
  ``CMAKE_BUILD_PARALLEL_LEVEL``;
- ninja (meson-python, CMake's Ninja generator) and cargo already use every core;
- setuptools builds several extensions at a time (``[build_ext] parallel``), and compiles
  several of an extension's sources at a time, when ``MANYWHEEL_BUILD_EXT_JOBS=M:file``
  reaches the plugin put on ``PYTHONPATH`` (steps/setuptools_plugin.py; uv keeps the variable
  for the backend, pypa/build and pip empty it): up to M compilers, as many as ``file`` says,
  which is rewritten as the build's share changes (CoreShare, run/build_slots.py). The plugin
  decides when the extensions are known, and only when it is safe: never when two extensions
  compile the same source to the same object path, one writing it while the other links it
  (setuptools#3942, #5196, open; lz4 compiles its bundled library into each of its three
  extensions, and a wheel linked from a half-written object came out of the plain
  ``DIST_EXTRA_CONFIG`` setting here). It starts the largest extensions and sources first.

The plugin also has setuptools write the wheel uncompressed (``MANYWHEEL_WHEEL_STORED=1``)
when the default repair command, auditwheel's, writes it again, compressed (stored_wheel_env).

None of these changes what is compiled, only how many compilers run at once: a wheel's bytes
are the same, and the variables are given to the build command only, after the cache key was
taken (caching/key_inputs.py never sees them). On a machine of one core nothing is set, and
with one core to give only the plugin's variables: every tool keeps its own default. A
variable the user set (in the environment the build sees, or the ``environment`` option), even
empty, is left as it is: ``MAKEFLAGS=`` keeps make serial, and ``MANYWHEEL_BUILD_EXT_JOBS=1``
(or ``[build_ext] parallel = 0`` in the project's setup.cfg) setuptools.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, partial
from pathlib import Path, PurePosixPath

from manywheel.config.model import DEFAULT_REPAIR_COMMAND
from manywheel.errors import Cancelled
from manywheel.planning.build_system import BuildSystem
from manywheel.steps import setuptools_plugin, shared_line
from manywheel.steps.context import JobContext
from manywheel.steps.depend_mode import depend_mode_env, shared_line_env

PLUGIN_DIR = "setuptools-plugin"  # in the job's work dir
CORES_FILE = "cores"  # in it: the build's share of the cores now (steps/setuptools_plugin.py)


def parallel_environment(
    cores: int, seen: Mapping[str, str], plugin: PurePosixPath | None, most: int = 1
) -> dict[str, str]:
    """The variables giving a build ``cores`` cores, but those ``seen`` already sets;
    ``plugin``: the directory holding the setuptools plugin, when the build may use it, with
    the file of its share of the ``most`` cores builds share (CORES_FILE)."""
    wanted = {}
    if cores > 1:
        wanted = {"MAKEFLAGS": f"-j{cores}", "CMAKE_BUILD_PARALLEL_LEVEL": str(cores)}
    if plugin is not None:
        wanted[setuptools_plugin.JOBS_VARIABLE] = f"{most}:{plugin / CORES_FILE}"
    env = {name: value for name, value in wanted.items() if name not in seen}
    if plugin is not None:  # the user's PYTHONPATH after it
        env["PYTHONPATH"] = ":".join(filter(None, (str(plugin), seen.get("PYTHONPATH"))))
    return env


def may_use_setuptools(system: BuildSystem | None) -> bool:
    """Whether the build backend may be setuptools: its own, or an in-tree one (they most
    often wrap it); not a backend known to build without it (meson-python, scikit-build-core,
    maturin, hatchling...)."""
    if system is None:
        return True
    return system.backend.startswith("setuptools") or bool(system.backend_path)


@cache
def plugin_files() -> dict[str, str]:
    """The setuptools plugin's files, by their path in its directory: the module, and the
    dist-info by which setuptools finds its entry point (read once per process)."""
    source = Path(setuptools_plugin.__file__).read_text(encoding="utf-8")
    lines = Path(shared_line.__file__).read_text(encoding="utf-8")
    info = setuptools_plugin.DIST_INFO
    return {
        f"{setuptools_plugin.MODULE}.py": source,
        f"{shared_line.MODULE}.py": lines,
        f"{info}/METADATA": setuptools_plugin.METADATA,
        f"{info}/entry_points.txt": setuptools_plugin.ENTRY_POINTS,
    }


def put_plugin(ctx: JobContext) -> PurePosixPath:
    """The setuptools plugin, in the job's work dir: its directory."""
    directory = ctx.workdir / PLUGIN_DIR
    for name, text in plugin_files().items():
        ctx.put_text(directory / name, text)
    return directory


def parallel_build_env(ctx: JobContext, *, with_plugin: bool) -> dict[str, str]:
    """The variables for the job's build command (ctx.build_cores, and ctx.core_share as it
    changes); ``with_plugin``: whether the frontend lets the backend see the plugin on
    PYTHONPATH."""
    seen = ctx.seen_by_build()
    share = ctx.core_share
    plugin = None
    if share.most > 1 and with_plugin and may_use_setuptools(ctx.build_system):
        plugin = put_plugin(ctx)
        if setuptools_plugin.JOBS_VARIABLE not in seen:  # else the user's number, as it is
            share.follow(partial(_write_share, ctx, plugin / CORES_FILE))
    env = parallel_environment(ctx.build_cores, seen, plugin, share.most)
    if plugin is not None:  # it writes the dependency files ccache's depend mode needs
        env.update(depend_mode_env(ctx, seen))
        env.update(shared_line_env(ctx, seen))
    if env:
        shown = " ".join(f"{name}={value}" for name, value in env.items())
        cores = ctx.build_cores
        if cores > 1:
            ctx.note(f"[manywheel] {cores} cores for this build (no other build runs now): {shown}")
        elif setuptools_plugin.JOBS_VARIABLE in env:
            ctx.note(
                f"[manywheel] 1 core for this build while other builds run (setuptools takes "
                f"more, up to {share.most}, as they end): {shown}"
            )
        else:
            ctx.note(f"[manywheel] 1 core for this build while other builds run: {shown}")
    if plugin is not None:
        env.update(stored_wheel_env(ctx, seen))
    return env


def stored_wheel_env(ctx: JobContext, seen: Mapping[str, str]) -> dict[str, str]:
    """The plugin's variable that has setuptools write the wheel uncompressed, when the default
    repair command, auditwheel's, rewrites it compressed anyway (and says so in the job's log);
    nothing when the user set the variable, or when the built wheel may be the one delivered."""
    variable = setuptools_plugin.STORED_VARIABLE
    if variable in seen or ctx.job.options.repair_wheel_command != DEFAULT_REPAIR_COMMAND:
        return {}
    ctx.note(
        f"[manywheel] {variable}=1: setuptools writes the wheel uncompressed, as auditwheel's "
        "repair writes it again, compressed"
    )
    return {variable: "1"}


def _write_share(ctx: JobContext, path: PurePosixPath, cores: int) -> None:
    """The build's share of the cores, where the setuptools plugin reads it. Called from the
    thread of the build that started or ended: a failure here is no failure of either (the
    plugin keeps the last number it read)."""
    try:
        ctx.put_text(path, f"{cores}\n")
    except (OSError, Cancelled):
        pass
