"""Refresh the pinned pypa images: a new tag and every pinned image's digest at it in
src/manywheel/resources/images.toml, and docs/platforms.md's image table regenerated from it.

    python scripts/update_images.py                     # the newest tag every pinned image has
    python scripts/update_images.py --tag 2026.10.26-1  # that tag's digests
    python scripts/update_images.py --from-cibuildwheel pinned_docker_images.cfg

The first two ask the registry's tag API (quay.io) for each pinned repository's tags and
digest. The third needs no registry: it takes the tag and digests from cibuildwheel's
cibuildwheel/resources/pinned_docker_images.cfg (which pins the same images by digest).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from manywheel.planning.image_table_update import (
    TABLE_BEGIN,
    TABLE_END,
    cibuildwheel_pins,
    images_markdown,
    newest_common_tag,
    pinned_repositories,
    pins_for,
    registry_digest,
    registry_tags,
    rewrite_pins,
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
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--tag", help="pin this tag's digests instead of the newest tag's")
    source.add_argument(
        "--from-cibuildwheel",
        type=Path,
        metavar="FILE",
        help="take the tag and digests from cibuildwheel's pinned_docker_images.cfg",
    )
    args = parser.parse_args(argv)
    text = TABLE.read_text(encoding="utf-8")
    table = tomllib.loads(text)
    registry, repositories = table["registry"], pinned_repositories(table)
    if args.from_cibuildwheel is not None:
        tag, found = cibuildwheel_pins(args.from_cibuildwheel.read_text("utf-8"), registry)
    else:
        tag = args.tag
        if tag is None:
            tag = newest_common_tag({r: registry_tags(registry, r) for r in repositories})
        found = {repo: registry_digest(registry, repo, tag) for repo in repositories}
    TABLE.write_text(rewrite_pins(text, tag, pins_for(table, found)), encoding="utf-8")
    page = PAGE.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(TABLE_BEGIN) + ".*?" + re.escape(TABLE_END), re.S)
    PAGE.write_text(pattern.sub(lambda _: images_markdown(table), page), encoding="utf-8")
    print(f"pinned {tag} (was {table['tag']}) by digest in {TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
