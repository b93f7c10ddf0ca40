"""Generated CI release workflows (GitHub Actions, GitLab CI) that shard the build."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import yaml

Publish = Literal["trusted", "token", "none"]
NATIVE_ARCHS = ("x86_64", "i686")


@dataclass(frozen=True)
class WorkflowOptions:
    archs: tuple[str, ...] = ("x86_64",)
    shards: int = 1
    publish: Publish = "trusted"
    python_version: str = "3.12"
    manywheel_requirement: str = "manywheel"


def dump(document: Mapping[str, object], header: str) -> str:
    """YAML in the order given, readable, with a header comment."""
    body = yaml.safe_dump(document, sort_keys=False, width=100, default_flow_style=False)
    return header + body
