"""A new kept build environment's lock is what ``uv pip freeze`` says it holds; later runs
compare it with ``uv pip compile``'s lock (steps/env_requirements.py same_pins)."""

from __future__ import annotations

from manywheel.steps.env_requirements import same_pins

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
