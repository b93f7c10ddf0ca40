"""The image table: which container image builds which (platform kind, arch)."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from importlib import resources
from typing import Any

from manywheel.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@functools.lru_cache(maxsize=1)
def table() -> dict[str, Any]:
    text = resources.files("manywheel.resources").joinpath("images.toml").read_text("utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class ImageChoice:
    reference: str  # what the engine runs
    policy: str | None  # the pypa policy name, None for a custom image

    @property
    def pinned(self) -> bool:
        return self.policy is not None


def pinned_reference(policy: str, arch: str) -> str:
    """The pypa image of ``policy`` for ``arch``, by digest (as cibuildwheel pins them): a tag
    can be moved to other contents, a digest names one image for ever."""
    data = table()
    repository = f"{policy}_{arch}"
    return f"{data['registry']}/{repository}@{data['digests'][repository]}"


def resolve_image(value: str, kind: str, arch: str, source: str) -> ImageChoice:
    """Turn an option value (a policy name, empty for the default, or a reference) into an image."""
    data = table()
    name = value or data["defaults"][f"{kind}-{arch}"]
    policies: dict[str, list[str]] = data["policies"]
    if name in policies:
        if arch not in policies[name]:
            available = ", ".join(
                p for p, archs in policies.items() if arch in archs and p.startswith(kind)
            )
            raise ConfigError(
                f"{source}: there is no {name} image for {arch}. Images for {arch}: "
                f"{available or 'none'}; or give a full image reference."
            )
        if not name.startswith(kind):
            raise ConfigError(f"{source}: {name} is not a {kind} image.")
        return ImageChoice(pinned_reference(name, arch), name)
    if "/" not in name and ":" not in name and name.startswith(("manylinux", "musllinux")):
        raise ConfigError(
            f"{source}: unknown image name '{name}'. Known names: {', '.join(policies)}; "
            "or give a full image reference such as registry/name:tag."
        )
    return ImageChoice(name, None)


def python_versions(policy: str | None) -> list[str]:
    pythons: dict[str, list[str]] = table()["pythons"]
    return pythons.get(policy or "", pythons["default"])


def pypy_versions(kind: str, arch: str) -> list[str]:
    """The PyPy versions ("3.11") a pinned pypa image of this kind and arch has."""
    pypy: dict[str, list[str]] = table()["pypy"]
    return list(pypy["versions"]) if kind == "manylinux" and arch in pypy["archs"] else []
