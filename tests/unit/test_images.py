"""The default image table and how image options resolve."""

from __future__ import annotations

import pytest

from manywheel.errors import ConfigError
from manywheel.planning.image_table import pinned_reference, resolve_image, table
from manywheel.planning.platforms import pinned_candidates as _pinned_candidates


def test_defaults_follow_cibuildwheel() -> None:
    assert resolve_image("", "manylinux", "x86_64", "x").policy == "manylinux_2_28"
    assert resolve_image("", "manylinux", "i686", "x").policy == "manylinux_2_28"  # as 4.3
    assert resolve_image("", "musllinux", "aarch64", "x").policy == "musllinux_1_2"


def test_policy_names_resolve_to_pinned_pypa_images_by_digest() -> None:
    digests = table()["digests"]
    choice = resolve_image("manylinux2014", "manylinux", "aarch64", "x")
    assert (
        choice.reference == f"quay.io/pypa/manylinux2014_aarch64@{digests['manylinux2014_aarch64']}"
    )
    assert choice.pinned
    assert pinned_reference("manylinux_2_34", "x86_64").endswith(
        f"/manylinux_2_34_x86_64@{digests['manylinux_2_34_x86_64']}"
    )


def test_every_default_exists_for_its_arch() -> None:
    data = table()
    for key, policy in data["defaults"].items():
        _, arch = key.split("-")
        assert arch in data["policies"][policy], key


def test_full_references_pass_through() -> None:
    choice = resolve_image("localhost/my/image:1", "manylinux", "x86_64", "x")
    assert (choice.reference, choice.pinned) == ("localhost/my/image:1", False)


def test_missing_arch_for_a_policy_names_the_alternatives() -> None:
    with pytest.raises(ConfigError) as err:
        resolve_image("manylinux_2_39", "manylinux", "i686", "pyproject.toml: manylinux-i686-image")
    assert str(err.value) == (
        "pyproject.toml: manylinux-i686-image: there is no manylinux_2_39 image for i686. "
        "Images for i686: manylinux2014, manylinux_2_28, manylinux_2_34; or give a full image "
        "reference."
    )


def test_unknown_policy_name_is_an_error() -> None:
    with pytest.raises(ConfigError, match="unknown image name 'manylinux_2_99'"):
        resolve_image("manylinux_2_99", "manylinux", "x86_64", "MANYWHEEL_MANYLINUX_X86_64_IMAGE")


def test_pinned_candidates_use_manylinux_layout() -> None:
    choice = resolve_image("", "manylinux", "x86_64", "x")
    cands = {str(c.identifier): c for c in _pinned_candidates("manylinux", "x86_64", choice)}
    assert cands["cp312-manylinux_x86_64"].python == "/opt/python/cp312-cp312/bin/python"
    assert cands["cp314t-manylinux_x86_64"].python == "/opt/python/cp314-cp314t/bin/python"
    # as cibuildwheel 4: the 2026 images' default set has no 3.8 and no 3.13t
    assert "cp38-manylinux_x86_64" not in cands
    assert "cp313t-manylinux_x86_64" not in cands


def test_pinned_manylinux_images_offer_pypy_as_cibuildwheel_lists_it() -> None:
    for arch in ("x86_64", "i686", "aarch64"):
        choice = resolve_image("", "manylinux", arch, "x")
        cands = {str(c.identifier): c for c in _pinned_candidates("manylinux", arch, choice)}
        pypy = sorted(name for name in cands if name.startswith("pp"))
        assert pypy == [
            f"pp310-manylinux_{arch}",
            f"pp311-manylinux_{arch}",
            f"pp39-manylinux_{arch}",
        ]
        pp311 = cands[f"pp311-manylinux_{arch}"]
        assert pp311.python == "/opt/python/pp311-pypy311_pp73/bin/python"
        assert pp311.abi == "pypy311_pp73"
    # the musllinux images and the other arches' manylinux images have no PyPy
    for kind, arch in (("musllinux", "x86_64"), ("manylinux", "ppc64le")):
        choice = resolve_image("", kind, arch, "x")
        assert not [c for c in _pinned_candidates(kind, arch, choice) if c.identifier.is_pypy]
