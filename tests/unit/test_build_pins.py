"""A new kept build environment's lock is what ``uv pip freeze`` says it holds; later runs
compare it with ``uv pip compile``'s lock (steps/env_requirements.py same_pins); what the
backend's hook asks for may be met by those pins already (already_met)."""

from __future__ import annotations

from manywheel.steps.env_requirements import already_met, same_pins

COMPILED = "packaging==26.4\nsetuptools==84.2.1\nsetuptools-scm==10.3.4\ntomli==2.5.0\n"


def test_the_same_versions_written_either_way_are_the_same() -> None:
    frozen = "tomli==2.5.0\nSetuptools_SCM==10.3.4\nsetuptools==84.2.1\npackaging==26.4.0\n"
    assert same_pins(COMPILED, frozen)
    assert same_pins("Cython==3.1.2\n", "cython==3.1.2")


def test_another_version_or_another_package_is_not() -> None:
    assert not same_pins(COMPILED, COMPILED.replace("84.2.1", "84.2.2"))
    assert not same_pins(COMPILED, COMPILED + "wheel==0.46.1\n")
    assert not same_pins(COMPILED, COMPILED.replace("tomli==2.5.0\n", ""))


def test_a_line_that_is_no_pin_is_compared_as_written() -> None:
    url = "demo @ file:///work/demo\n"
    assert same_pins(COMPILED + url, url + COMPILED)
    assert not same_pins(COMPILED + url, COMPILED + "demo @ file:///work/other\n")
    assert not same_pins("demo==1.0\n", "demo===1.0\n")


def test_what_the_hook_asks_for_is_met_by_the_pins_an_isolated_build_would_keep() -> None:
    """pypa/build installs only the hook's requirements that what is installed does not meet:
    lz4's setup_requires (setuptools_scm, pkgconfig) repeats its [build-system]."""
    frozen = COMPILED + "pkgconfig==1.5.5\n"
    assert already_met([], frozen)
    assert already_met(["setuptools_scm", "pkgconfig"], frozen)
    assert already_met(["Setuptools-SCM>=8", "setuptools>=40,<90", "packaging"], frozen)
    assert already_met(["tomli==2.5"], frozen)  # versions compared as versions
    assert already_met(["demo>=1"], "demo==2.0rc1\n")  # what is installed, prerelease or not


def test_what_the_pins_do_not_meet_or_cannot_tell_is_not_met() -> None:
    frozen = COMPILED + "pkgconfig==1.5.5\n"
    assert not already_met(["wheel"], frozen)  # not installed
    assert not already_met(["setuptools>=85"], frozen)  # another version
    assert not already_met(["pkgconfig", "cython"], frozen)  # one of them unmet
    # an extra's requirements, a marker's environment, a URL: not told by the pins
    assert not already_met(["setuptools_scm[toml]"], frozen)
    assert not already_met(['tomli; python_version < "3.11"'], frozen)
    assert not already_met(["demo @ file:///work/demo"], "demo @ file:///work/demo\n")
    assert not already_met(["not a requirement!"], frozen)
    assert not already_met(["packaging"], "")
