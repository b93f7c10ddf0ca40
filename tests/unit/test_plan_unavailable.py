"""A selected identifier the platform cannot build is named, with why; never dropped in silence."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet

from manywheel.config.identifiers import Identifier
from manywheel.config.model import Options
from manywheel.config.resolve import OptionsResolver, resolve
from manywheel.errors import NothingToBuildError
from manywheel.planning.image_table import pinned_reference
from manywheel.planning.plan import (
    Candidate,
    Plan,
    Source,
    describe_unavailable,
    make_plan,
)
from manywheel.planning.platforms import candidates, sources
from manywheel.planning.project import Project

IMAGE = "localhost/i686-only-311:1"


def project(requires: str | None = None) -> Project:
    spec = SpecifierSet(requires) if requires else None
    return Project(Path("/p"), False, "demo", spec, None, "pyproject.toml")


def resolver(table: dict[str, Any], platform: str = "podman") -> OptionsResolver:
    return resolve(
        {"tool": {"manywheel": table}}, "pyproject.toml", {"platform": (platform, "x")}, {}
    )


def only_311(run: Options, kind: str, arch: str, image: str) -> Sequence[str]:
    """A custom image whose /opt/python holds CPython 3.11 alone (as the engine would list)."""
    assert image == IMAGE
    return ["cp311-cp311"]


def container_plan(table: dict[str, Any], requires: str | None = None) -> Plan:
    res = resolver({"archs": "i686", "manylinux-i686-image": IMAGE, **table})
    run = res.run
    found = candidates(run, {}, only_311)
    return make_plan(res, project(requires), found, "x86_64", sources=sources(run, {}))


def unavailable(plan: Plan) -> dict[str, str]:
    return {str(u.identifier): u.reason for u in plan.unavailable}


def test_a_version_the_custom_image_lacks_is_named_with_the_image() -> None:
    plan = container_plan({"build": "cp311-* cp313-*"})
    assert "cp311-manylinux_i686" in plan.identifiers
    assert "cp313-musllinux_i686" in plan.identifiers  # the pinned musllinux image has it
    assert unavailable(plan) == {
        "cp313-manylinux_i686": f"the image {IMAGE} has no /opt/python entry for it"
    }
    assert describe_unavailable(plan.unavailable) == (
        "selected but not built: cp313-manylinux_i686: the image "
        f"{IMAGE} has no /opt/python entry for it"
    )


def test_wildcards_that_name_no_version_are_not_reported() -> None:
    """The default '*' selects every CPython: an image holding one of them is no news."""
    assert container_plan({}).unavailable == ()
    assert container_plan({"build": "cp3*"}).unavailable == ()
    assert unavailable(container_plan({"build": "cp3{11,12}-*"})) == {
        "cp312-manylinux_i686": f"the image {IMAGE} has no /opt/python entry for it"
    }


@pytest.mark.parametrize(
    ("table", "requires"),
    [
        ({"build": "cp311-* cp313-*", "skip": "cp313-manylinux*"}, None),
        ({"build": "cp311-* cp313-*"}, "<3.13"),
        ({"build": "cp311-* cp313t-*"}, None),  # 3.13t is opt-in (enable)
        ({"build": "cp311-* cp313-*", "archs": "x86_64"}, None),  # i686 is not selected
    ],
)
def test_the_rest_of_the_selection_still_applies(
    table: dict[str, Any], requires: str | None
) -> None:
    assert container_plan(table, requires).unavailable == ()


def test_a_pinned_image_that_lacks_a_version_says_so() -> None:
    plan = container_plan({"build": "cp38-* cp311-*"})  # the 2026 images ship no 3.8
    assert unavailable(plan) == {
        "cp38-musllinux_i686": f"the pinned image {pinned_reference('musllinux_1_2', 'i686')} "
        "has no CPython 3.8",
        "cp38-manylinux_i686": f"the image {IMAGE} has no /opt/python entry for it",
    }


HOST = [
    Candidate(Identifier((3, m), False, "manylinux", "x86_64"), f"3.{m}.1", f"/py/3.{m}")
    for m in (11, 12)
]
HOST_SOURCE = [Source("manylinux", "x86_64", "host")]


def native_plan(table: dict[str, Any]) -> Plan:
    return make_plan(resolver(table, "native"), project(), HOST, "x86_64", sources=HOST_SOURCE)


def test_natively_a_cpython_the_host_lacks_is_named() -> None:
    plan = native_plan({"build": "cp312-* cp314-* cp314t-*"})
    assert plan.identifiers == ["cp312-manylinux_x86_64"]
    assert unavailable(plan) == {
        "cp314-manylinux_x86_64": "no CPython 3.14 found on this host (PATH, pyenv, /opt/python, "
        "uv)",
        "cp314t-manylinux_x86_64": "no CPython 3.14 (free-threaded) found on this host (PATH, "
        "pyenv, /opt/python, uv)",
    }


def test_nothing_buildable_says_what_is_missing() -> None:
    with pytest.raises(NothingToBuildError) as err:
        native_plan({"build": "cp314-*"})
    assert (
        "Selected but not built: cp314-manylinux_x86_64: no CPython 3.14 found on this host "
        "(PATH, pyenv, /opt/python, uv)."
    ) in str(err.value)


def test_only_and_no_sources_report_nothing() -> None:
    res = resolver({"build": "cp314-*"}, "native")
    assert make_plan(res, project(), HOST, "x86_64", "cp312-manylinux_x86_64").unavailable == ()
    res = resolver({"build": "cp312-* cp314-*"}, "native")
    assert make_plan(res, project(), HOST, "x86_64").unavailable == ()


def test_a_native_run_has_one_source_the_host() -> None:
    run = resolver({}, "native").run
    assert sources(run, {}) == [Source("manylinux", "x86_64", "host")]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (Source("manylinux", "x86_64", "host"), "no CPython 3.14 found on this host"),
        (Source("manylinux", "x86_64", "in-image"), "no CPython 3.14 in this image's /opt/python"),
        (Source("manylinux", "x86_64", "pinned", "q/img@sha256:1"), "the pinned image q/img@"),
        (Source("manylinux", "x86_64", "image", "my/img:1"), "the image my/img:1 has no /opt/"),
        (
            Source("manylinux", "x86_64", "cross", "q/img"),
            "--toolchain zig needs CPython 3.14 both on this host and in the image q/img",
        ),
    ],
)
def test_each_source_says_why_in_its_own_words(source: Source, reason: str) -> None:
    assert source.missing(Identifier((3, 14), False, "manylinux", "x86_64")).startswith(reason)
