"""ccache's depend mode, for a build whose compiled objects no other job of the run shares.

On a miss, ccache in its usual mode (direct mode, then the preprocessor's) runs the
preprocessor to look the object up by its preprocessed source, then the compiler. Files that
include large headers pay for it: 30 of pycryptodome's files (the compiler's intrinsics headers)
compiled one after another on an empty cache took 10.4 s through ccache against 9.0 s without
it. In depend mode (``CCACHE_DEPEND``) no preprocessor runs: ccache keys the object by the
compile line, the source and the content of each header listed in the dependency file the
compiler writes (``-MD``). The same files took 9.3 s. The price is the preprocessed key: two
CPythons with the same compile flags no longer share the object of a file that does not include
Python.h (run/compile_order.py), because their compile lines differ by the include directory and
depend mode hashes the line.

So a build gets depend mode only when all of these hold:
- no other job of the run compiles like it (run/compile_order.py ``shares_objects``): its
  flag signature is its own in its group, or the project has nothing to share;
- its compiles go through ccache (``CCACHE_DIR``);
- the setuptools plugin is on its PYTHONPATH: the plugin has each of ``build_ext``'s compiles
  write its dependency file (steps/setuptools_plugin.py), which the mode needs. The compiles of
  a CMake build that a setup.py runs write one already, and get the mode too;
- the user set neither ``CCACHE_DEPEND`` nor ``CCACHE_NODEPEND``.
The jobs that do compile like another get the mode from the setuptools plugin instead, with
the record that lets them share objects without the preprocessed key (shared_line_env below,
steps/shared_line.py). The choice depends only on the run's jobs, never on what the cache
holds. The ``-MD`` on the compile line is part of direct mode's key, so the next run of the
same jobs makes the same choice and finds this run's objects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from manywheel.steps import shared_line
from manywheel.steps.context import JobContext

DEPEND_VARIABLES = ("CCACHE_DEPEND", "CCACHE_NODEPEND")  # the user's choice, either way
SHARED_LINES = "shared-lines"  # beside the kept build environments: the records


def depend_mode_env(ctx: JobContext, seen: Mapping[str, str]) -> dict[str, str]:
    """``CCACHE_DEPEND`` for the build command of a job whose objects are its own, when its
    compiles go through ccache and the setuptools plugin is given (the caller's part), with the
    variables it ``seen`` already; else nothing."""
    if "CCACHE_DIR" not in seen or any(name in seen for name in DEPEND_VARIABLES):
        return {}
    if ctx.turn.shares_objects():
        return {}
    ctx.note(
        "[manywheel] compiler cache: depend mode (no other job of the run compiles with these "
        "flags): no preprocessor runs on a miss of a compile that writes a dependency file "
        "(the setuptools plugin adds -MD to build_ext's)"
    )
    return {"CCACHE_DEPEND": "1"}


def shared_line_env(ctx: JobContext, seen: Mapping[str, str]) -> dict[str, str]:
    """For a build that compiles like another job of the run (run/compile_order.py), when its
    compiles go through ccache and the setuptools plugin is given (the caller's part): where the
    first job of its signature records what each compile read (``write:``), or where the others
    read it (``read:``), kept beside the kept build environments so that the next run of the
    same jobs finds it (steps/shared_line.py). The plugin then has both compile in depend mode.
    Nothing when the user chose ccache's mode, or there is no place to keep the record."""
    reference = ctx.turn.reference()
    root = ctx.executor.build_envs()
    if reference is None or root is None or "CCACHE_DIR" not in seen:
        return {}
    if any(name in seen for name in (*DEPEND_VARIABLES, shared_line.VARIABLE)):
        return {}
    project = hashlib.sha256(ctx.project.name.encode()).hexdigest()[:12]
    path = root.inside.parent / SHARED_LINES / f"{reference}-{project}.json"
    mode = "write" if reference == ctx.job.name else "read"
    return {shared_line.VARIABLE: f"{mode}:{path}"}
