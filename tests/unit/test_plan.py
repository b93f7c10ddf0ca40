"""The plan: a pure function of options, project metadata and candidates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet

from manywheel.config.identifiers import Identifier
from manywheel.config.resolve import OptionsResolver, load_config
from manywheel.errors import ConfigError, NothingToBuildError
from manywheel.planning.plan import Candidate, make_plan, resolve_archs
from manywheel.planning.project import Project

CANDIDATES = [
    Candidate(
        Identifier((3, minor), False, "manylinux", "x86_64"),
        f"3.{minor}.1",
        f"/py/3.{minor}/bin/python",
    )
    for minor in range(7, 14)
]


def project(requires: str | None = None) -> Project:
    return Project(
        Path("/p"),
        False,
        "demo",
        SpecifierSet(requires) if requires else None,
        None,
        "pyproject.toml",
    )


def plan_ids(
    table: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    requires: str | None = None,
    only: str | None = None,
) -> list[str]:
    document = {"tool": {"manywheel": table}} if table else None
    resolver = OptionsResolver(load_config(document, "pyproject.toml", env or {}, {}))
    return make_plan(resolver, project(requires), CANDIDATES, "x86_64", only).identifiers


def test_default_builds_every_cpython_from_38() -> None:
    assert plan_ids() == [f"cp3{m}-manylinux_x86_64" for m in range(8, 14)]


def test_requires_python_and_skip() -> None:
    assert plan_ids({"skip": "cp313-*"}, requires=">=3.10") == [
        "cp310-manylinux_x86_64",
        "cp311-manylinux_x86_64",
        "cp312-manylinux_x86_64",
    ]


def test_only_ignores_selection_but_must_be_available() -> None:
    assert plan_ids({"skip": "*"}, only="cp37-manylinux_x86_64") == ["cp37-manylinux_x86_64"]
    with pytest.raises(ConfigError, match="--only: cp312-manylinux_aarch64 cannot be built"):
        plan_ids(only="cp312-manylinux_aarch64")


def test_nothing_selected_says_why() -> None:
    with pytest.raises(NothingToBuildError) as err:
        plan_ids(requires=">=3.14")
    message = str(err.value)
    assert message.startswith("nothing to build: no identifier is selected.")
    assert "requires-python = '>=3.14' (from the project)" in message
    assert "--allow-empty" in message
    assert plan_ids({"build": "cp314-*", "allow-empty": True}) == []


def test_project_requires_python_replaces_the_projects() -> None:
    env = {"MANYWHEEL_PROJECT_REQUIRES_PYTHON": ">=3.12"}
    assert plan_ids(env=env, requires=">=3.8") == [
        "cp312-manylinux_x86_64",
        "cp313-manylinux_x86_64",
    ]
    assert plan_ids({"project-requires-python": "<3.10"}, requires=">=3.11") == [
        "cp38-manylinux_x86_64",
        "cp39-manylinux_x86_64",
    ]
    with pytest.raises(NothingToBuildError) as err:
        plan_ids(env={"MANYWHEEL_PROJECT_REQUIRES_PYTHON": ">=3.14"}, requires=">=3.8")
    assert "project-requires-python = '>=3.14' (MANYWHEEL_PROJECT_REQUIRES_PYTHON)" in str(
        err.value
    )
    with pytest.raises(ConfigError) as bad:
        plan_ids(env={"MANYWHEEL_PROJECT_REQUIRES_PYTHON": "3.10+"})
    assert str(bad.value) == (
        "MANYWHEEL_PROJECT_REQUIRES_PYTHON: '3.10+' is not valid; expected a version "
        "specifier (PEP 440) such as '>=3.10'."
    )


def test_test_skip_and_test_command_decide_tests() -> None:
    document = {"tool": {"manywheel": {"test-command": "pytest", "test-skip": "cp38-*"}}}
    resolver = OptionsResolver(load_config(document, "pyproject.toml", {}, {}))
    plan = make_plan(resolver, project(), CANDIDATES, "x86_64")
    tests = {job.name: job.run_tests for job in plan.jobs}
    assert tests["cp38-manylinux_x86_64"] is False
    assert tests["cp312-manylinux_x86_64"] is True


def test_archs() -> None:
    assert resolve_archs(["auto"], "x86_64", "podman", "archs") == {"x86_64"}
    assert resolve_archs(["auto", "auto32"], "x86_64", "podman", "archs") == {"x86_64", "i686"}
    assert resolve_archs(["auto"], "x86_64", "native", "archs") == {"x86_64"}
    assert resolve_archs(["auto64"], "x86_64", "docker", "archs") == {"x86_64"}
    with pytest.raises(ConfigError, match="the native backend builds only for this machine's arch"):
        resolve_archs(["aarch64"], "x86_64", "native", "--archs")


def test_zig_cross_compiles_foreign_archs_natively() -> None:
    archs = resolve_archs(["auto", "aarch64", "s390x"], "x86_64", "native", "archs", cross=True)
    assert archs == {"x86_64", "aarch64", "s390x"}
