"""test-groups: the project's [dependency-groups] (PEP 735) installed with test-requires, as in
cibuildwheel; what is wrong with them is a configuration error before anything builds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from manywheel.config.resolve import OptionsResolver, load_config
from manywheel.errors import ConfigError
from manywheel.planning.plan import make_plan
from manywheel.planning.project import Project
from tests.unit.test_plan import CANDIDATES

GROUPS = {
    "test": ["pytest>=8", {"include-group": "Typing_Extras"}],
    "typing-extras": ["typing-extensions; python_version < '3.11'"],
    "docs": ["sphinx"],
}


def plan_requires(pyproject: dict[str, Any] | None, table: dict[str, Any]) -> list[str]:
    project = Project(Path("/p"), False, "demo", None, pyproject, "pyproject.toml")
    document = {"tool": {"manywheel": table}}
    resolver = OptionsResolver(load_config(document, "pyproject.toml", {}, {}))
    plan = make_plan(resolver, project, CANDIDATES, "x86_64", "cp312-manylinux_x86_64")
    (job,) = plan.jobs
    return list(job.options.test_requires)


def test_groups_join_test_requires_with_their_includes() -> None:
    table = {"test-command": "pytest", "test-requires": ["six"], "test-groups": ["test"]}
    assert plan_requires({"dependency-groups": GROUPS}, table) == [
        "six",
        "pytest>=8",
        'typing-extensions; python_version < "3.11"',  # as packaging writes it
    ]


def test_no_groups_no_change() -> None:
    table = {"test-command": "pytest", "test-requires": ["six"]}
    assert plan_requires(None, table) == ["six"]


@pytest.mark.parametrize(
    ("pyproject", "groups", "said"),
    [
        (
            None,
            ["test"],
            "pyproject.toml: tool.manywheel.test-groups: test-groups (test) are read from the "
            "project's pyproject.toml, and /p has none. Add a [dependency-groups] table to a "
            "pyproject.toml, or list the requirements in test-requires.",
        ),
        (
            {"project": {"name": "demo"}},
            ["test"],
            "pyproject.toml: tool.manywheel.test-groups: test-groups (test) are read from "
            "pyproject.toml's [dependency-groups] table (PEP 735), which it does not have. Add "
            "the table, or list the requirements in test-requires.",
        ),
        (
            {"dependency-groups": GROUPS},
            ["test", "bench"],
            "pyproject.toml: tool.manywheel.test-groups: test-groups (test, bench) cannot be read "
            "from pyproject.toml's [dependency-groups]: Dependency group 'bench' not found. Name "
            "groups the table has, and check their entries (requirement strings, or "
            '{include-group = "name"}).',
        ),
    ],
)
def test_what_cannot_be_read_is_a_configuration_error(
    pyproject: dict[str, Any] | None, groups: list[str], said: str
) -> None:
    table = {"test-command": "pytest", "test-groups": groups}
    with pytest.raises(ConfigError) as caught:
        plan_requires(pyproject, table)
    assert caught.value.message == said
