"""The project's ``[build-system]`` table: what its build needs before any hook runs.

PEP 518 and PEP 517 give the defaults: a project without the table needs setuptools (the
requirement pip and uv assume, ``setuptools>=40.8.0``), and one without ``build-backend`` is
built by setuptools' legacy backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_REQUIRES = ("setuptools>=40.8.0",)
DEFAULT_BACKEND = "setuptools.build_meta:__legacy__"


@dataclass(frozen=True)
class BuildSystem:
    requires: tuple[str, ...]
    backend: str
    backend_path: tuple[str, ...] = ()  # in-tree backends' directories, relative to the project


def build_system_of(pyproject: dict[str, Any] | None) -> BuildSystem | None:
    """The build system a parsed pyproject.toml declares (None: one a frontend would refuse,
    left for the frontend to say so)."""
    table = (pyproject or {}).get("build-system")
    if table is None:
        return BuildSystem(DEFAULT_REQUIRES, DEFAULT_BACKEND)
    if not isinstance(table, dict):
        return None
    requires = table.get("requires")  # required in the table (PEP 518): else the frontend's error
    backend = table.get("build-backend", DEFAULT_BACKEND)
    path = table.get("backend-path", [])
    if not isinstance(requires, list) or not _strings(requires):
        return None
    if not isinstance(backend, str) or not isinstance(path, list) or not _strings(path):
        return None
    return BuildSystem(tuple(requires), backend, tuple(path))


def _strings(values: list[Any]) -> bool:
    return all(isinstance(item, str) for item in values)
