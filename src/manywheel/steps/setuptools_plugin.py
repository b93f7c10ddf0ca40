"""A setuptools plugin, put on the build command's PYTHONPATH when the build has cores to spare
(steps/parallel_build.py): setuptools' ``build_ext`` then builds that many extensions at a
time (its ``parallel`` option, threads), when that is safe. pycryptodome's 59 extensions, and
any project of many small ones, build on every core instead of one.

Python 3.6+ and the standard library only: it runs in the build backend's process, under the
job's interpreter (never imported by manywheel). setuptools finds it by its entry point in the
``setuptools.finalize_distribution_options`` group (the dist-info beside it: ``files()``).

The decision is taken when ``build_ext`` checks its final list of extensions, right before it
reads ``parallel`` (``build_extensions``): extensions a project adds in setup.cfg,
pyproject.toml or its own command are all there by then. It builds one at a time, as without
the plugin, when:
- ``parallel`` is set already (the project's setup.cfg, ``DIST_EXTRA_CONFIG``, ``--parallel``):
  ``[build_ext] parallel = 0`` keeps a build serial;
- fewer than two extensions;
- two extensions compile the same source, or sources of one name (``a.c``, ``a.cpp``, ``a.pyx``
  and its generated ``a.c``): both write one object path, one writing it while the other
  links it (setuptools#3942, #5196; lz4 compiles its bundled library into each extension);
- the command's ``build_extension`` is the project's own (it may not be safe in threads);
- an extension is a setuptools ``Library``, or links one (setuptools swaps the compiler for
  it), or links what the build writes (its build_temp or build_lib);
- Cython compiles a source (.pyx, .py) during the build: not known to be safe in threads.
A line on the build log says which, and why.
"""

import os
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

JOBS_VARIABLE = "MANYWHEEL_BUILD_EXT_JOBS"
MODULE = "manywheel_setuptools_plugin"
DIST_INFO = "manywheel_setuptools_plugin-1.dist-info"
ENTRY_POINTS = (
    "[setuptools.finalize_distribution_options]\n"
    "manywheel_parallel_build_ext = manywheel_setuptools_plugin:finalize\n"
)
METADATA = "Metadata-Version: 2.1\nName: manywheel-setuptools-plugin\nVersion: 1\n"

# where the stock build_extension is defined: setuptools', distutils', and Cython's (which
# setuptools' build_ext derives from when Cython is installed, cythonizing .pyx sources only)
_STOCK = (
    "setuptools.command.build_ext",
    "setuptools._distutils.command.build_ext",
    "distutils.command.build_ext",
    "Cython.Distutils.build_ext",
)
_CYTHON = (".pyx", ".py")


def finalize(dist: Any) -> None:
    """The entry point: the distribution's build_ext command, once made, decides when it
    checks its extensions."""
    jobs = _jobs()
    if jobs < 2:
        return
    made = dist.get_command_obj

    def get_command_obj(command: str, create: int = 1) -> Any:
        cmd = made(command, create)
        if command == "build_ext" and cmd is not None and "check_extensions_list" not in vars(cmd):
            cmd.check_extensions_list = _deciding(cmd, cmd.check_extensions_list, jobs)
        return cmd

    dist.get_command_obj = get_command_obj


def _jobs() -> int:
    try:
        return int(os.environ.get(JOBS_VARIABLE, "") or 0)
    except ValueError:
        return 0


def _deciding(cmd: Any, check: Callable[[Any], Any], jobs: int) -> Callable[[Any], Any]:
    said: List[str] = []
    ours: List[bool] = []  # not empty: cmd.parallel is the plugin's, not the project's

    def check_then_decide(extensions: Any) -> Any:
        result = check(extensions)
        if cmd.parallel is not None and not ours:
            return result
        why_not = why_serial(cmd, list(extensions or []))
        cmd.parallel = None if why_not is not None else jobs
        ours[:] = [True]
        if why_not is None:
            line = f"building its {len(extensions)} extensions {jobs} at a time"
        else:
            line = "building extensions one at a time: " + why_not if why_not else ""
        if line and line not in said:
            said.append(line)
            sys.stderr.write(f"[manywheel] setuptools: {line}\n")
            sys.stderr.flush()
        return result

    return check_then_decide


def why_serial(cmd: Any, extensions: List[Any]) -> Optional[str]:
    """Why the extensions must be built one at a time ("" when there is one), or None."""
    if len(extensions) < 2:
        return ""
    method = getattr(type(cmd), "build_extension", None)
    where = getattr(method, "__module__", "")
    if where not in _STOCK:
        name = getattr(method, "__qualname__", "build_extension")
        return f"the project's build_ext builds each extension its own way ({where}.{name})"
    outputs = [_absolute(d) for d in (cmd.build_temp, cmd.build_lib) if d]
    seen: Dict[str, Tuple[str, str]] = {}  # a source's path without suffix: (extension, source)
    for ext in extensions:
        reason = _alone(ext, outputs)
        if reason:
            return reason
        for source in ext.sources or []:
            stem, suffix = os.path.splitext(_absolute(source))
            if suffix in _CYTHON:
                return f"Cython compiles {source} of {ext.name}"
            other = seen.setdefault(stem, (ext.name, source))
            if other[0] != ext.name:
                named = "" if other[1] == source else f" ({other[1]} in {other[0]})"
                return f"{other[0]} and {ext.name} both compile {source}{named}"
    return None


def _alone(ext: Any, outputs: List[str]) -> Optional[str]:
    """Why ``ext`` must be built alone: it is, or links, a library of the build's."""
    if type(ext).__name__ == "Library" or getattr(ext, "_links_to_dynamic", False):
        return f"{ext.name} is, or links, a shared library the build makes"
    for path in list(ext.library_dirs or []) + list(ext.extra_objects or []):
        full = _absolute(path)
        if any(full == out or full.startswith(out + os.sep) for out in outputs):
            return f"{ext.name} links what the build writes ({path})"
    return None


def _absolute(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))
