"""A custom image's /opt/python listing is kept per image ID: the next run asks no container
(an ID names the image's content); a file of another ID, or a damaged one, is asked again."""

from __future__ import annotations

from pathlib import Path

from manywheel.backends.container_backend import keep_listing, kept_listing


def test_akept_listing_is_read_back_for_the_same_image_only(tmp_path: Path) -> None:
    path = tmp_path / "image-pythons" / "podman-0123456789abcdef.json"
    keep_listing(path, "sha256:0123", ["cp311-cp311", "cp312-cp312"])
    assert kept_listing(path, "sha256:0123") == ["cp311-cp311", "cp312-cp312"]
    assert kept_listing(path, "sha256:4567") is None  # rebuilt under the same name
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left


def test_a_missing_or_damaged_listing_is_asked_again(tmp_path: Path) -> None:
    path = tmp_path / "listing.json"
    assert kept_listing(path, "sha256:0123") is None
    path.write_text("{not json")
    assert kept_listing(path, "sha256:0123") is None
    path.write_text('{"image": "sha256:0123", "opt_python": [1, 2]}')
    assert kept_listing(path, "sha256:0123") is None
