"""Generated CI release workflows (GitHub Actions, GitLab CI) that shard the build."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import yaml

from manywheel import __version__

Publish = Literal["trusted", "token", "none"]
# the jobs that build and publish a release install the manywheel that wrote the workflow: a
# release never runs with whatever is newest on the index that day (a new manywheel comes in
# when the workflow is generated again)
MANYWHEEL_REQUIREMENT = f"manywheel=={__version__}"
NATIVE_ARCHS = ("x86_64", "i686")


@dataclass(frozen=True)
class WorkflowOptions:
    archs: tuple[str, ...] = ("x86_64",)
    shards: int = 1
    publish: Publish = "trusted"
    python_version: str = "3.12"
    manywheel_requirement: str = MANYWHEEL_REQUIREMENT


def dump(
    document: Mapping[str, object], header: str, comments: Mapping[str, str] | None = None
) -> str:
    """YAML in the order given, readable, with a header comment.

    ``comments`` maps a line's content (``key: value``, without indentation) to a comment
    written after it: PyYAML cannot write comments itself.
    """
    body = yaml.safe_dump(document, sort_keys=False, width=1000, default_flow_style=False)
    if comments:
        lines = body.split("\n")
        for index, line in enumerate(lines):
            comment = comments.get(line.strip().removeprefix("- "))
            if comment:
                lines[index] = f"{line}  # {comment}"
        body = "\n".join(lines)
    return header + body
