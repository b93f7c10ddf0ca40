"""The variables that let a build use more than one core, when it has them (run/build_slots.py).

Each build system is reached without touching the project:
- make (a Makefile a setup.py runs, CMake's Makefile generator) reads ``MAKEFLAGS=-jN``;
- ``cmake --build`` (scikit-build-core, setup.py's calling CMake) reads
  ``CMAKE_BUILD_PARALLEL_LEVEL``;
- ninja (meson-python, CMake's Ninja generator) and cargo already use every core.

Not setuptools' parallel ``build_ext`` (``[build_ext] parallel = N``, reachable through the file
``DIST_EXTRA_CONFIG`` names): it builds N extensions at once, and two extensions that list the
same source file compile it to the same object path, one writing it while the other links it
(setuptools#3942, #5196, open). lz4 compiles its bundled library into each of its three
extensions: a wheel whose ``_version`` module was linked from a half-written object came out
of it here, and only auditwheel's refusal to read it stopped it. A project known to be safe
sets it in its own ``setup.cfg``.

None of these changes what is compiled, only how many compilers run at once: a wheel's bytes
are the same, and the variables are given to the build command only, after the cache key was
taken (caching/key_inputs.py never sees them). With one core to give, nothing is set and every
tool keeps its own default. A variable the user set (in the environment the build sees, or the
``environment`` option), even empty, is left as it is: ``MAKEFLAGS=`` keeps make serial.
"""

from __future__ import annotations

from collections.abc import Mapping

from manywheel.steps.context import JobContext

PARALLEL_VARIABLES = ("MAKEFLAGS", "CMAKE_BUILD_PARALLEL_LEVEL")


def parallel_environment(cores: int, seen: Mapping[str, str]) -> dict[str, str]:
    """The variables giving a build ``cores`` cores, but those ``seen`` already sets."""
    if cores <= 1:
        return {}
    wanted = {"MAKEFLAGS": f"-j{cores}", "CMAKE_BUILD_PARALLEL_LEVEL": str(cores)}
    return {name: value for name, value in wanted.items() if name not in seen}


def parallel_build_env(ctx: JobContext) -> dict[str, str]:
    """The variables for the job's build command (ctx.build_cores)."""
    env = parallel_environment(ctx.build_cores, ctx.seen_by_build())
    if env:
        shown = " ".join(f"{name}={value}" for name, value in env.items())
        cores = ctx.build_cores
        ctx.note(f"[manywheel] {cores} cores for this build (no other build uses them): {shown}")
    return env
