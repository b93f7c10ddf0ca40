"""cibuildwheel's ``CIBW_*`` variables, read as cibuildwheel reads them (its options.py): which
ones, which win, and what they make of an override's values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from manywheel.config.declarations import OPTIONS

# manywheel's options that cibuildwheel has not (tests/unit/test_migrate_variables.py checks
# that every other one is a key of the installed cibuildwheel's defaults.toml): no CIBW_*
# variable sets them, but those cibuildwheel reads from the environment alone (below)
MANYWHEEL_ONLY = (
    *("platform", "keep-container", "cache", "cache-size", "compiler-cache", "output-dir"),
    *("log-dir", "jobs", "fail-fast", "project-requires-python", "allow-empty", "interpreters"),
    *("toolchain", "manylinux-policy", "system-packages", "free-threaded-gil"),
)
_ENVIRONMENT_ONLY = {  # variables cibuildwheel reads besides its options' own
    "CIBW_OUTPUT_DIR": "output-dir",
    "CIBW_ALLOW_EMPTY": "allow-empty",
    "CIBW_PROJECT_REQUIRES_PYTHON": "project-requires-python",
    "CIBW_DEBUG_KEEP_CONTAINER": "keep-container",
}
# read without their CIBW_X_LINUX form (cibuildwheel's env_plat=False)
_NOT_PER_PLATFORM = ("build", "skip", "test-skip", "enable", "build-frontend")


def variables(environ: Mapping[str, str]) -> dict[str, str]:
    """The ``CIBW_*`` variable cibuildwheel reads for each option it has and manywheel too:
    ``CIBW_X_LINUX`` over ``CIBW_X`` (not for build, skip, test-skip, enable and
    build-frontend), and those it reads from the environment alone."""
    found = {}
    for suffix in ("", "_LINUX"):
        for name in OPTIONS:
            if name in MANYWHEEL_ONLY or (suffix and name in _NOT_PER_PLATFORM):
                continue
            var = "CIBW_" + name.upper().replace("-", "_") + suffix
            if var in environ:
                found[name] = var
    found.update((name, var) for var, name in _ENVIRONMENT_ONLY.items() if var in environ)
    return found


def outranked(
    values: dict[str, Any], env_vars: Mapping[str, str], where: str, notes: list[str]
) -> dict[str, Any]:
    """An override's values but those a ``CIBW_*`` variable sets: in cibuildwheel the variable
    wins over every override (in manywheel the migrated value is the top level's, which an
    override would replace)."""
    kept = {}
    for key, value in values.items():
        var = env_vars.get("before-all" if key == "system-packages" else key)
        if var:
            notes.append(f"{where}.{key} ({var} is set, and wins over overrides in cibuildwheel)")
        else:
            kept[key] = value
    return kept
