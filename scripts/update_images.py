"""Refresh the pinned pypa images: a new tag in src/manywheel/resources/images.toml, and the
image table of docs/platforms.md regenerated from that file.

    python scripts/update_images.py              # the newest tag every pinned image has
    python scripts/update_images.py --tag 2026.10.26-1

Without --tag it asks the registry's tag API (quay.io) for each pinned repository.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from manywheel.planning.image_table_update import (
    TABLE_BEGIN,
    TABLE_END,
    images_markdown,
    newest_common_tag,
    pinned_repositories,
    registry_tags,
    rewrite_tag,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "src" / "manywheel" / "resources" / "images.toml"
PAGE = ROOT / "docs" / "platforms.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", help="pin this tag instead of asking the registry")
    args = parser.parse_args(argv)
    text = TABLE.read_text(encoding="utf-8")
    table = tomllib.loads(text)
    tag = args.tag
    if tag is None:
        repositories = pinned_repositories(table)
        tags = {repo: registry_tags(table["registry"], repo) for repo in repositories}
        tag = newest_common_tag(tags)
    TABLE.write_text(rewrite_tag(text, tag), encoding="utf-8")
    page = PAGE.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(TABLE_BEGIN) + ".*?" + re.escape(TABLE_END), re.S)
    PAGE.write_text(pattern.sub(lambda _: images_markdown(table), page), encoding="utf-8")
    print(f"pinned {tag} (was {table['tag']}) in {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
