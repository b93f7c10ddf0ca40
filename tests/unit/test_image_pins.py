"""Refreshing the image pins (scripts/update_images.py) without a registry: the pure parts, and
the registry call against a stand-in answer."""

from __future__ import annotations

import io
import json
import re
import sys
from importlib import resources
from pathlib import Path

import pytest

from manywheel.planning import image_table_update
from manywheel.planning.image_table import pinned_reference, table
from manywheel.planning.image_table_update import (
    DIGEST_RE,
    cibuildwheel_pins,
    images_markdown,
    newest_common_tag,
    pinned_repositories,
    pins_for,
    registry_digest,
    rewrite_pins,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PLATFORMS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "platforms.md"
TABLE_TEXT = resources.files("manywheel.resources").joinpath("images.toml").read_text("utf-8")


REPOSITORIES = pinned_repositories(table())
NEW_DIGESTS = {repo: "sha256:" + f"{n % 16:x}" * 64 for n, repo in enumerate(REPOSITORIES)}


def test_rewrite_changes_only_the_tag_and_digest_lines() -> None:
    new = rewrite_pins(TABLE_TEXT, "2027.01.02-3", NEW_DIGESTS)
    assert tomllib.loads(new)["digests"] == NEW_DIGESTS
    old_lines, new_lines = TABLE_TEXT.splitlines(), new.splitlines()
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert changed[0] == (f'tag = "{table()["tag"]}"', 'tag = "2027.01.02-3"')
    assert [b for _, b in changed[1:]] == [f'{r} = "{d}"' for r, d in NEW_DIGESTS.items()]


@pytest.mark.parametrize("tag", ["latest", "2027.1.2-3", "2027.01.02", ""])
def test_rewrite_refuses_other_tags(tag: str) -> None:
    with pytest.raises(ValueError, match="is not a pypa image tag"):
        rewrite_pins(TABLE_TEXT, tag, NEW_DIGESTS)


@pytest.mark.parametrize("digest", ["", "latest", "sha256:abc", "sha512:" + "a" * 64])
def test_rewrite_refuses_what_is_not_a_digest(digest: str) -> None:
    with pytest.raises(ValueError, match="not an image digest"):
        rewrite_pins(TABLE_TEXT, "2027.01.02-3", {**NEW_DIGESTS, "musllinux_1_2_i686": digest})


def test_rewrite_needs_exactly_one_tag_line_and_digests_table() -> None:
    with pytest.raises(ValueError, match="found 0"):
        rewrite_pins('registry = "quay.io/pypa"\n[digests]\n', "2027.01.02-3", {})
    with pytest.raises(ValueError, match=r"one \[digests\] table in the image table, found 0"):
        rewrite_pins('tag = "2026.01.01-1"\n', "2027.01.02-3", {})


def test_every_pinned_image_is_named_by_its_digest() -> None:
    data = table()
    assert set(data["digests"]) == set(pinned_repositories(data))
    assert all(DIGEST_RE.match(d) for d in data["digests"].values())
    reference = pinned_reference("manylinux_2_28", "x86_64")
    digest = data["digests"]["manylinux_2_28_x86_64"]
    assert reference == f"quay.io/pypa/manylinux_2_28_x86_64@{digest}"


def test_the_digest_of_a_tag_is_read_from_the_registrys_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No registry is reachable from the test machines: this stands in for quay.io's tag API
    with an answer of the shape it gives (what cibuildwheel's update script reads too). The
    request and the reading of the answer are manywheel's real code."""
    asked: list[str] = []
    digest = "sha256:" + "ab" * 32
    answer = {
        "tags": [
            {"name": "2026.08.15-1", "manifest_digest": digest, "is_manifest_list": False},
        ],
        "page": 1,
        "has_additional": False,
    }

    def urlopen(url: str, timeout: float) -> io.BytesIO:
        asked.append(url)
        return io.BytesIO(json.dumps(answer).encode())

    monkeypatch.setattr(image_table_update.urllib.request, "urlopen", urlopen)
    found = registry_digest("quay.io/pypa", "manylinux_2_28_x86_64", "2026.08.15-1")
    assert found == digest
    assert asked == [
        "https://quay.io/api/v1/repository/pypa/manylinux_2_28_x86_64/tag/"
        "?specificTag=2026.08.15-1&onlyActiveTags=true"
    ]
    answer["tags"] = []
    with pytest.raises(
        ValueError, match=re.escape("has no active tag 2026.08.15-1 in the registry")
    ):
        registry_digest("quay.io/pypa", "manylinux_2_28_x86_64", "2026.08.15-1")


CIBUILDWHEEL_CFG = """\
[x86_64]
manylinux_2_28 = quay.io/pypa/manylinux_2_28_x86_64@sha256:{a}  # 2026.08.15-1
musllinux_1_2 = quay.io/pypa/musllinux_1_2_x86_64@sha256:{b}  # 2026.08.15-1

[pypy_x86_64]
manylinux_2_28 = quay.io/pypa/manylinux_2_28_x86_64@sha256:{a}  # 2026.08.15-1
""".format(a="0" * 64, b="1" * 64)


def test_cibuildwheels_pinned_file_gives_its_tag_and_digests() -> None:
    tag, digests = cibuildwheel_pins(CIBUILDWHEEL_CFG, "quay.io/pypa")
    assert tag == "2026.08.15-1"
    assert digests == {
        "manylinux_2_28_x86_64": "sha256:" + "0" * 64,
        "musllinux_1_2_x86_64": "sha256:" + "1" * 64,
    }
    with pytest.raises(ValueError, match="expected one pypa tag"):
        cibuildwheel_pins(
            CIBUILDWHEEL_CFG.replace("# 2026.08.15-1\n\n", "# 2026.09.01-1\n\n"), "quay.io/pypa"
        )
    with pytest.raises(ValueError, match="no digest for manylinux2014_x86_64"):
        pins_for(table(), digests)


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
