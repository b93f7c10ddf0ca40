"""The variables that let a build use more than one core, when it has them (run/build_slots.py).

Each build system is reached without touching the project:
- setuptools reads ``[build_ext] parallel = N`` from the file ``DIST_EXTRA_CONFIG`` names (its
  distutils reads that file last, after setup.cfg: ``Distribution._gen_paths``), and then
  builds N extensions at once (pycryptodome's 80 extensions, numpy-style many-module projects);
- make (a Makefile a setup.py runs, CMake's Makefile generator) reads ``MAKEFLAGS=-jN``;
- ``cmake --build`` (scikit-build-core, setup.py's calling CMake) reads
  ``CMAKE_BUILD_PARALLEL_LEVEL``;
- ninja (meson-python, CMake's Ninja generator) and cargo already use every core.

None of these changes what is compiled, only how many compilers run at once: a wheel's bytes
are the same, and the variables are given to the build command only, after the cache key was
taken (caching/key_inputs.py never sees them). With one core to give, nothing is set and every
tool keeps its own default. A variable the user set (in the environment the build sees, or the
``environment`` option), even empty, is left as it is: ``MAKEFLAGS=`` keeps make serial.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath

from manywheel.steps.context import JobContext

PARALLEL_VARIABLES = ("MAKEFLAGS", "CMAKE_BUILD_PARALLEL_LEVEL", "DIST_EXTRA_CONFIG")
CONFIG_NAME = "parallel-build.cfg"


def parallel_environment(
    cores: int, seen: Mapping[str, str], config: PurePosixPath
) -> dict[str, str]:
    """The variables giving a build ``cores`` cores, but those ``seen`` already sets;
    ``config``: where the setuptools config file is (setuptools_config)."""
    if cores <= 1:
        return {}
    wanted = {
        "MAKEFLAGS": f"-j{cores}",
        "CMAKE_BUILD_PARALLEL_LEVEL": str(cores),
        "DIST_EXTRA_CONFIG": str(config),
    }
    return {name: value for name, value in wanted.items() if name not in seen}


def setuptools_config(cores: int) -> str:
    return f"[build_ext]\nparallel = {cores}\n"


def parallel_build_env(ctx: JobContext) -> dict[str, str]:
    """The variables for the job's build command (ctx.build_cores); the setuptools config
    file put in the job's work dir when it is used."""
    config = ctx.workdir / CONFIG_NAME
    env = parallel_environment(ctx.build_cores, ctx.seen_by_build(), config)
    if "DIST_EXTRA_CONFIG" in env:
        ctx.put_text(config, setuptools_config(ctx.build_cores))
    if env:
        shown = " ".join(f"{name}={value}" for name, value in env.items())
        cores = ctx.build_cores
        ctx.note(f"[manywheel] {cores} cores for this build (no other build uses them): {shown}")
    return env
