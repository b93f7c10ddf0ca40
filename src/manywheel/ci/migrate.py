"""Translating a cibuildwheel configuration ([tool.cibuildwheel], CIBW_*) into manywheel's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import tomli_w

from manywheel.ci.inherit import CIBUILDWHEEL_DEFAULTS, inherited
from manywheel.ci.variables import MANYWHEEL_ONLY, outranked, variables
from manywheel.config.declarations import OPTIONS
from manywheel.config.identifiers import ARCHS, GRAALPY_UNSUPPORTED, universe
from manywheel.config.parsers import boolean, frontend
from manywheel.config.resolve import load_config
from manywheel.config.selectors import ENABLE_GROUPS, Selector, expand_braces
from manywheel.planning.package_installs import system_packages

SELECTOR_KEYS = ("build", "skip", "test-skip")
# cibuildwheel's groups that manywheel has too (cpython-eol is manywheel's own); its "all"
# means all of these here
CIBUILDWHEEL_GROUPS = [g for g in ENABLE_GROUPS if g != "cpython-eol"]
NOT_LINUX = ("macos", "windows", "ios", "android", "pyodide")
_KNOWN = [str(i) for i in universe()]
_BEFORE_ALL = ("before-all", "system-packages")  # what cibuildwheel's before-all becomes
# an empty value, at any level, leaves the one before it (cibuildwheel's ignore_empty)
EMPTY_IGNORED = (
    "archs",
    *(f"{kind}-{arch}-image" for kind in ("manylinux", "musllinux") for arch in ARCHS),
)
# cibuildwheel options that are not migrated for a reason more telling than "no equivalent"
_WHY_NOT = {
    **{
        f"manylinux-pypy_{arch}-image": (
            f"manywheel builds PyPy in the manylinux-{arch}-image, as cibuildwheel 3 does"
        )
        for arch in ("x86_64", "i686", "aarch64")
    },
    "xbuild-tools": "iOS only",
    "test-runtime": "Android, iOS and Pyodide only",
    "pyodide-version": "Pyodide only",
    # cibuildwheel 4.3.5's platforms/linux.py uses it only to install virtualenv in the image
    "dependency-versions": (
        "on Linux cibuildwheel pins only its own tools with it; manywheel's are its own "
        "dependencies, and the build requirements follow PIP_CONSTRAINT or UV_BUILD_CONSTRAINT "
        "in environment"
    ),
}


@dataclass
class Migration:
    table: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def toml(self) -> str:
        """The table as TOML, each override as a ``[[tool.manywheel.overrides]]`` of its own
        (as cibuildwheel's documentation writes them), never an inline table."""
        header = "".join(f"# not migrated: {note}\n" for note in self.notes)
        table = {k: v for k, v in self.table.items() if k != "overrides"}
        text = tomli_w.dumps({"tool": {"manywheel": table}}) if table else ""
        for override in self.table.get("overrides", []):
            plain = {k: v for k, v in override.items() if not isinstance(v, dict)}
            text += ("\n" if text else "") + "[[tool.manywheel.overrides]]\n"
            text += tomli_w.dumps(plain)
            for key, value in override.items():
                if isinstance(value, dict):
                    text += f"\n[tool.manywheel.overrides.{key}]\n" + tomli_w.dumps(value)
        return header + text


def _words(value: Any) -> list[str]:
    if isinstance(value, list):
        return [w for v in value for w in str(v).split()]
    return str(value).split()


def _selector(value: Any, where: str, notes: list[str]) -> str:
    kept, dropped = [], []
    for word in _words(value):
        if any(Selector(alt, where).matches(k) for alt in expand_braces(word) for k in _KNOWN):
            kept.append(word)
        else:
            dropped.append(word)
    graalpy = [w for w in dropped if w.startswith("gp")]
    if graalpy:
        notes.append(f"{where}: {' '.join(graalpy)} ({GRAALPY_UNSUPPORTED})")
    if len(graalpy) < len(dropped):
        notes.append(
            f"{where}: {' '.join(w for w in dropped if w not in graalpy)} (matches no CPython "
            "or PyPy Linux identifier; manywheel builds CPython and PyPy on Linux only)"
        )
    return " ".join(kept)


def _identifiers(select: str) -> frozenset[str]:
    """The Linux identifiers an override's (migrated) ``select`` selects."""
    selector = Selector(select, "select")
    return frozenset(k for k in _KNOWN if selector.matches(k))


def _value(key: str, value: Any, where: str, notes: list[str]) -> Any:
    """The manywheel value for a cibuildwheel key, or None to leave it out."""
    if key in SELECTOR_KEYS:
        if not _words(value):  # cibuildwheel's empty build is every identifier
            return "*" if key == "build" else ""
        return _selector(value, where, notes) or None
    if key in EMPTY_IGNORED and not _words(value):
        return None  # cibuildwheel skips an empty value of these (ignore_empty)
    if key == "build-frontend":  # the same two forms, the same names
        return str(frontend(value, where))
    if key == "enable":
        return _enable(_words(value), where, notes)
    if key == "build-verbosity":
        return int(value) if str(value).strip() else None
    if key == "archs":
        return " ".join(_words(value))
    if OPTIONS[key].parse is boolean and isinstance(value, str):  # as cibuildwheel's strtobool
        return value.strip().lower() in ("y", "yes", "t", "true", "on", "1")
    return value


def _enable(groups: list[str], where: str, notes: list[str]) -> list[str] | None:
    """The groups manywheel has (pypy, pypy-eol, cpython-*), in the order given; "all" as all
    of them. GraalPy and Pyodide are left out, with a note."""
    if "all" in groups:
        notes.append(f"{where}: all (as {', '.join(CIBUILDWHEEL_GROUPS)}; no GraalPy or Pyodide)")
        groups = [g for g in groups if g != "all"] + CIBUILDWHEEL_GROUPS
    kept = list(dict.fromkeys(g for g in groups if g in ENABLE_GROUPS))
    if "graalpy" in groups:
        notes.append(f"{where}: graalpy ({GRAALPY_UNSUPPORTED})")
    others = [g for g in groups if g not in ENABLE_GROUPS and g != "graalpy"]
    if others:
        notes.append(
            f"{where}: {' '.join(others)} (no such group here: manywheel builds CPython and "
            "PyPy Linux wheels)"
        )
    return kept or None


def _translate(
    table: Mapping[str, Any], where: str, notes: list[str], override: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    free_threaded = False
    for key, value in table.items():
        if key in ("overrides", "select", *NOT_LINUX, "linux"):
            continue
        if key == "free-threaded-support" and not override:
            # cibuildwheel 2.x's switch for what its 3.x and manywheel enable as a group
            free_threaded = value is True or str(value).strip().lower() == "true"
            continue
        option = OPTIONS.get(key)
        if key in MANYWHEEL_ONLY:  # cibuildwheel refuses it: "not supported in a config file"
            notes.append(f"{where}.{key} (not a cibuildwheel option)")
            continue
        if option is None or (override and option.scope == "run"):
            why = _WHY_NOT.get(key, f"no manywheel equivalent{' in overrides' if option else ''}")
            notes.append(f"{where}.{key} ({why})")
            continue
        converted = _value(key, value, f"{where}.{key}", notes)
        if converted is not None:
            out.update([_portable(key, converted)])
    if free_threaded:
        out["enable"] = list(dict.fromkeys([*out.get("enable", []), "cpython-freethreading"]))
    return out


def _portable(key: str, value: Any) -> tuple[str, Any]:
    """A before-all that only installs known libraries as system-packages, which installs
    them with whichever package manager the image has (planning/package_installs.py); any other
    option as it is."""
    packages = system_packages(value) if key == "before-all" else None
    return ("system-packages", packages) if packages else (key, value)


def _layer(table: dict[str, Any], later: Mapping[str, Any]) -> None:
    """``later``'s values over ``table``'s (the linux table's, then the variables'): a
    before-all read as system-packages replaces the earlier before-all too, as the later
    before-all would."""
    for key, value in later.items():
        if key in _BEFORE_ALL:
            for earlier in _BEFORE_ALL:
                table.pop(earlier, None)
        table[key] = value


def migrate(document: Mapping[str, Any], environ: Mapping[str, str]) -> Migration:
    result = Migration()
    cibw = document.get("tool", {}).get("cibuildwheel", {})
    table = _translate(cibw, "tool.cibuildwheel", result.notes)
    _layer(table, _translate(cibw.get("linux", {}), "tool.cibuildwheel.linux", result.notes))
    for platform in NOT_LINUX:
        if platform in cibw:
            result.notes.append(f"tool.cibuildwheel.{platform} (another platform)")
    env_table: dict[str, Any] = {}
    env_vars = variables(environ)  # option: the variable that sets it
    for name, var in env_vars.items():
        env_table[name] = _value(name, environ[var], var, result.notes)
    if env_table.get("enable") and table.get("enable"):  # CIBW_ENABLE adds to the table's
        env_table["enable"] = list(dict.fromkeys([*table["enable"], *env_table["enable"]]))
    if "CIBW_PLATFORM" in environ:
        result.notes.append(
            f"CIBW_PLATFORM={environ['CIBW_PLATFORM']} (cibuildwheel's target system: "
            "manywheel builds Linux wheels, and its platform option says where: native, "
            "docker or podman)"
        )
    _layer(table, dict(_portable(k, v) for k, v in env_table.items() if v is not None))
    overrides = []
    raws = cibw.get("overrides", [])
    # what an override's inherit combines with: cibuildwheel's defaults under the tables
    top = {**CIBUILDWHEEL_DEFAULTS, **cibw, **cibw.get("linux", {})}
    earlier: list[tuple[frozenset[str], dict[str, Any]]] = []  # identifiers, combined values
    for i, raw in enumerate(raws):
        where = f"tool.cibuildwheel.overrides[{i}]"
        select = _selector(raw.get("select", ""), f"{where}.select", result.notes)
        chosen = _identifiers(select)
        combined = inherited(raw, top, earlier, chosen, where=where, notes=result.notes)
        earlier.append((chosen, combined))
        values = outranked(
            _translate(combined, where, result.notes, override=True), env_vars, where, result.notes
        )
        if select and values:
            overrides.append({"select": select, **values})
        elif not select:
            result.notes.append(f"{where} (selects no CPython Linux identifier)")
    if overrides:
        table["overrides"] = overrides
    result.table = table
    # what we write must load: fail here, not in the user's next build
    load_config({"tool": {"manywheel": table}}, "migrated configuration", {}, {})
    return result


def unread_settings(document: Mapping[str, Any] | None, environ: Mapping[str, str]) -> str | None:
    """The line a build says when the project is set up for cibuildwheel and not for manywheel
    (a ``[tool.cibuildwheel]`` table and no ``[tool.manywheel]``), or ``CIBW_*`` variables are
    set: manywheel reads none of them. None when there is nothing unread."""
    tool = (document or {}).get("tool", {})
    table = tool.get("cibuildwheel") if isinstance(tool, dict) else None
    keys = sorted(table) if isinstance(table, dict) and "manywheel" not in tool else []
    variables = sorted(v for v in environ if v.startswith("CIBW_"))
    unread = ([f"[tool.cibuildwheel] {', '.join(keys)}"] if keys else []) + variables
    if not unread:
        return None
    shown = "; ".join(unread[:4]) + (f" and {len(unread) - 4} more" if len(unread) > 4 else "")
    return (
        f"not read (cibuildwheel's settings): {shown}. manywheel reads [tool.manywheel] and "
        "MANYWHEEL_* variables; 'manywheel migrate PROJECT_DIR' prints their equivalent"
    )
