"""``test-groups``: the project's dependency groups (PEP 735, ``[dependency-groups]`` in its
pyproject.toml) installed for the tests with ``test-requires``, as cibuildwheel's option of that
name does. The groups are resolved (``include-group`` entries followed, names normalized) by
pypa's reference implementation, ``dependency_groups``."""

from __future__ import annotations

from collections.abc import Sequence

import dependency_groups

from manywheel.errors import ConfigError
from manywheel.planning.project import Project


def test_group_requirements(project: Project, groups: Sequence[str], source: str) -> list[str]:
    """The requirements ``groups`` name in the project's pyproject.toml; ``source``: where the
    option was set, for the error."""
    if not groups:
        return []
    named = ", ".join(groups)
    if project.pyproject is None:
        raise ConfigError(
            f"{source}: test-groups ({named}) are read from the project's pyproject.toml, and "
            f"{project.path} has none. Add a [dependency-groups] table to a pyproject.toml, or "
            "list the requirements in test-requires."
        )
    table = project.pyproject.get("dependency-groups")
    if not isinstance(table, dict):
        raise ConfigError(
            f"{source}: test-groups ({named}) are read from {project.pyproject_label}'s "
            "[dependency-groups] table (PEP 735), which it does not have. Add the table, or "
            "list the requirements in test-requires."
        )
    try:
        return list(dependency_groups.resolve(table, *groups))
    except (LookupError, ValueError, TypeError) as exc:  # InvalidRequirement is a ValueError
        raise ConfigError(
            f"{source}: test-groups ({named}) cannot be read from {project.pyproject_label}'s "
            f"[dependency-groups]: {exc}. Name groups the table has, and check their entries "
            '(requirement strings, or {include-group = "name"}).'
        ) from None
