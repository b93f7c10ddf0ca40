"""The project's [build-system] as a frontend reads it (PEP 517 and 518 defaults)."""

from __future__ import annotations

from typing import Any

import pytest

from manywheel.planning.build_system import BuildSystem, build_system_of


def test_no_table_is_setuptools_legacy_backend() -> None:
    expected = BuildSystem(("setuptools>=40.8.0",), "setuptools.build_meta:__legacy__")
    assert build_system_of(None) == expected
    assert build_system_of({"project": {"name": "x"}}) == expected


def test_the_table_is_read_as_written() -> None:
    doc = {
        "build-system": {
            "requires": ["scikit-build-core>=0.10", "pybind11"],
            "build-backend": "scikit_build_core.build",
            "backend-path": ["_custom"],
        }
    }
    assert build_system_of(doc) == BuildSystem(
        ("scikit-build-core>=0.10", "pybind11"), "scikit_build_core.build", ("_custom",)
    )


def test_requires_without_a_backend_is_the_legacy_backend() -> None:
    doc = {"build-system": {"requires": ["setuptools", "cython"]}}
    assert build_system_of(doc) == BuildSystem(
        ("setuptools", "cython"), "setuptools.build_meta:__legacy__"
    )


@pytest.mark.parametrize(
    "table",
    [
        {"build-backend": "setuptools.build_meta"},  # PEP 518: requires is required
        {"requires": "setuptools"},
        {"requires": ["setuptools", 3]},
        {"requires": [], "build-backend": 3},
        {"requires": [], "backend-path": "x"},
        "not a table",
    ],
)
def test_a_table_a_frontend_would_refuse_is_left_to_the_frontend(table: Any) -> None:
    assert build_system_of({"build-system": table}) is None
