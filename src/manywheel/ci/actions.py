"""The pinned GitHub Actions (resources/actions.toml): `uses:` references and version comments."""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from importlib import resources

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# a pinned reference as PyYAML writes it: `uses: owner/repo[/path]@<40 hex>` ending the line
_PINNED_USES = re.compile(r"^(\s*(?:- )?uses: ([\w.-]+/[\w.-]+)(?:/[\w./-]+)?@([0-9a-f]{40}))$")


@dataclass(frozen=True)
class Pin:
    repository: str  # owner/name
    version: str  # the release tag, e.g. v7.0.1
    sha: str  # the commit that tag points to


@functools.lru_cache(maxsize=1)
def pins() -> dict[str, Pin]:
    text = resources.files("manywheel.resources").joinpath("actions.toml").read_text("utf-8")
    table = tomllib.loads(text)["actions"]
    return {repo: Pin(repo, entry["version"], entry["sha"]) for repo, entry in table.items()}


def uses(action: str) -> str:
    """`owner/repo[/path]` -> `owner/repo[/path]@SHA`, from the pin of `owner/repo`."""
    repository = "/".join(action.split("/")[:2])
    return f"{action}@{pins()[repository].sha}"


def with_versions(text: str) -> str:
    """Dumped YAML with `# vX.Y.Z` after every pinned `uses:` (PyYAML cannot write comments)."""

    def annotate(line: str) -> str:
        match = _PINNED_USES.match(line)
        if not match:
            return line
        pin = pins()[match.group(2)]
        if pin.sha != match.group(3):
            raise ValueError(f"{line.strip()} is not the pin of {pin.repository} ({pin.sha})")
        return f"{line} # {pin.version}"

    return "\n".join(annotate(line) for line in text.split("\n"))
