"""Refreshing the image pins (scripts/update_images.py) without a registry: the pure parts."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from manywheel.planning.image_table import table
from manywheel.planning.image_table_update import (
    images_markdown,
    newest_common_tag,
    pinned_repositories,
    rewrite_tag,
)

PLATFORMS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "platforms.md"
TABLE_TEXT = resources.files("manywheel.resources").joinpath("images.toml").read_text("utf-8")


def test_rewrite_changes_only_the_tag_line() -> None:
    new = rewrite_tag(TABLE_TEXT, "2027.01.02-3")
    assert 'tag = "2027.01.02-3"' in new
    old_lines, new_lines = TABLE_TEXT.splitlines(), new.splitlines()
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert changed == [(f'tag = "{table()["tag"]}"', 'tag = "2027.01.02-3"')]


@pytest.mark.parametrize("tag", ["latest", "2027.1.2-3", "2027.01.02", ""])
def test_rewrite_refuses_other_tags(tag: str) -> None:
    with pytest.raises(ValueError, match="is not a pypa image tag"):
        rewrite_tag(TABLE_TEXT, tag)


def test_rewrite_needs_exactly_one_tag_line() -> None:
    with pytest.raises(ValueError, match="found 0"):
        rewrite_tag('registry = "quay.io/pypa"\n', "2027.01.02-3")


def test_newest_tag_common_to_every_repository() -> None:
    tags = {
        "manylinux_2_28_x86_64": ["latest", "2026.10.26-1", "2026.11.02-1", "2026.11.02-2"],
        "musllinux_1_2_x86_64": ["2026.10.26-1", "2026.11.02-1", "2026.09.30-9"],
    }
    assert newest_common_tag(tags) == "2026.11.02-1"
    with pytest.raises(ValueError, match=re.escape("no YYYY.MM.DD-N tag is common")):
        newest_common_tag({"a": ["2026.10.26-1"], "b": ["latest"]})


def test_pinned_repositories_cover_the_table() -> None:
    repos = pinned_repositories(table())
    assert "manylinux_2_28_i686" in repos
    assert "musllinux_1_2_riscv64" in repos
    assert len(repos) == sum(len(archs) for archs in table()["policies"].values())


def test_docs_table_is_generated_from_images_toml() -> None:
    assert images_markdown(table()) in PLATFORMS_PAGE.read_text(encoding="utf-8"), (
        "docs/platforms.md's image table is stale: run '.venv/bin/python scripts/update_images.py "
        "--tag <the tag in images.toml>'"
    )
    assert "| manylinux_2_28 | default | default | default | default | default |" in (
        images_markdown(table())
    )
