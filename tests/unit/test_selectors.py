"""Build identifiers and selectors: fnmatch patterns with braces, requires-python, groups."""

from __future__ import annotations

import re

import pytest
from packaging.specifiers import SpecifierSet

from manywheel.config.identifiers import Identifier, universe
from manywheel.config.selectors import BuildSelection, Selector, expand_braces
from manywheel.errors import ConfigError


def ident(text: str) -> Identifier:
    return Identifier.parse(text)


def test_identifier_round_trip() -> None:
    for text in ("cp38-manylinux_x86_64", "cp313t-musllinux_aarch64", "cp310-manylinux_i686"):
        assert str(ident(text)) == text
    assert ident("cp313t-manylinux_x86_64").free_threaded
    assert ident("cp312-manylinux_s390x").version == (3, 12)


@pytest.mark.parametrize(
    "bad", ["cp312", "py312-manylinux_x86_64", "cp312-manylinux_sparc", "cp312-linux_x86_64", ""]
)
def test_bad_identifiers(bad: str) -> None:
    with pytest.raises(ConfigError, match="is not a build identifier"):
        ident(bad)


def test_brace_expansion() -> None:
    assert expand_braces("cp3{11,12}-*") == ["cp311-*", "cp312-*"]
    assert expand_braces("cp3{11,12}-{manylinux,musllinux}_x86_64") == [
        "cp311-manylinux_x86_64",
        "cp311-musllinux_x86_64",
        "cp312-manylinux_x86_64",
        "cp312-musllinux_x86_64",
    ]


def test_selector_matching() -> None:
    sel = Selector("cp3{11,12}-* *-musllinux_aarch64", "build")
    assert sel.matches("cp311-manylinux_x86_64")
    assert sel.matches(ident("cp38-musllinux_aarch64"))
    assert not sel.matches("cp313-manylinux_x86_64")


def test_selector_validation_names_source() -> None:
    with pytest.raises(ConfigError) as err:
        Selector("cp312-* ip310-*", "MANYWHEEL_BUILD").validate()
    assert str(err.value).startswith(
        "MANYWHEEL_BUILD: the pattern 'ip310-*' matches no build identifier."
    )
    with pytest.raises(ConfigError, match="is not a valid selector pattern"):
        Selector("cp3{11,12-*", "build").validate()


def selection(
    build: str = "*",
    skip: str = "",
    requires: str | None = None,
    enable: frozenset[str] = frozenset(),
) -> BuildSelection:
    return BuildSelection(
        Selector(build, "build"),
        Selector(skip, "skip"),
        SpecifierSet(requires) if requires else None,
        enable,
    )


def test_requires_python_filters() -> None:
    s = selection(requires=">=3.10")
    assert not s.selected(ident("cp39-manylinux_x86_64"), "3.9.18")
    assert s.selected(ident("cp310-manylinux_x86_64"), "3.10.13")
    assert not selection(requires="<3.12").selected(ident("cp312-manylinux_x86_64"), "3.12.99")


def test_skip_and_groups() -> None:
    s = selection(skip="*-musllinux_*")
    assert not s.selected(ident("cp312-musllinux_x86_64"), "3.12.99")
    assert s.selected(ident("cp312-manylinux_x86_64"), "3.12.99")
    # 3.13t and end-of-life builds are opt-in, as in cibuildwheel
    assert not s.selected(ident("cp313t-manylinux_x86_64"), "3.13.99")
    assert s.selected(ident("cp314t-manylinux_x86_64"), "3.14.99")  # no longer experimental
    assert selection(enable=frozenset({"cpython-freethreading"})).selected(
        ident("cp313t-manylinux_x86_64"), "3.13.99"
    )
    assert not s.selected(ident("cp37-manylinux_x86_64"), "3.7.16")


def test_prereleases_are_opt_in() -> None:
    s, pre = selection(), selection(enable=frozenset({"cpython-prerelease"}))
    # cp315 is final (3.15.0, October 2026): built by default, as in cibuildwheel 4.3
    assert s.selected(ident("cp315-manylinux_x86_64"), "3.15.99")
    assert s.selected(ident("cp315t-manylinux_x86_64"), "3.15.99")
    # cp316 has no final release yet, and neither has an interpreter that says it is one
    assert not s.selected(ident("cp316-manylinux_x86_64"), "3.16.99")
    assert not s.selected(ident("cp315-manylinux_x86_64"), "3.15.0rc1")
    assert not s.selected(ident("cp314-manylinux_x86_64"), "3.14.0a1+")
    assert pre.selected(ident("cp316-manylinux_x86_64"), "3.16.99")
    assert pre.selected(ident("cp315-manylinux_x86_64"), "3.15.0rc1")


def test_selectors_know_the_newest_versions() -> None:
    """cp315 (final) and cp316 (pre-release) are identifiers a pattern may name; the minor
    version after the newest known one is refused like any typo."""
    known = Selector("cp315-* cp316t-*", "skip")
    known.validate()  # raises ConfigError for a pattern that matches no identifier
    assert known.matches("cp315-manylinux_x86_64")
    assert known.matches("cp316t-musllinux_aarch64")
    newest = max(i.version for i in universe())
    assert newest >= (3, 16)
    unknown = f"cp3{newest[1] + 1}-*"
    with pytest.raises(ConfigError, match=f"'{re.escape(unknown)}' matches no build identifier"):
        Selector(unknown, "skip").validate()
