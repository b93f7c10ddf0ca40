"""PyPy identifiers (pp39-manylinux_x86_64) are opt-in as in cibuildwheel 4; GraalPy is refused
with a clear error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cibuildwheel.selector import BuildSelector, EnableGroup

from manywheel.config.identifiers import Identifier, universe
from manywheel.config.resolve import OptionsResolver, load_config
from manywheel.config.selectors import BuildSelection, Selector
from manywheel.errors import ConfigError, ExitCode, NothingToBuildError
from manywheel.planning.plan import Candidate, make_plan
from manywheel.planning.project import Project

GROUP_SETS = [
    frozenset(),
    frozenset({"pypy"}),
    frozenset({"pypy-eol"}),
    frozenset({"pypy", "pypy-eol"}),
    frozenset({"cpython-prerelease", "cpython-freethreading"}),
]


def test_pypy_identifiers_round_trip_and_sort_after_cpython() -> None:
    for text in ("pp39-manylinux_x86_64", "pp311-musllinux_aarch64", "pp310-manylinux_i686"):
        assert str(Identifier.parse(text)) == text
    pp39 = Identifier.parse("pp39-manylinux_x86_64")
    assert pp39.is_pypy
    assert pp39.version == (3, 9)
    assert pp39.describe() == "PyPy 3.9"
    cp312 = Identifier.parse("cp312-manylinux_x86_64")
    assert sorted([pp39, cp312]) == [cp312, pp39]
    assert pp39 != Identifier((3, 9), False, "manylinux", "x86_64")  # cp39


def test_pypy_has_no_free_threaded_identifier() -> None:
    with pytest.raises(ConfigError, match="is not a build identifier"):
        Identifier.parse("pp311t-manylinux_x86_64")


@pytest.mark.parametrize("enable", GROUP_SETS, ids=lambda g: " ".join(sorted(g)) or "none")
def test_pypy_groups_select_what_cibuildwheel_selects(enable: frozenset[str]) -> None:
    ours = BuildSelection(Selector("*", "build"), Selector("", "skip"), None, enable)
    theirs = BuildSelector(
        build_config="*",
        skip_config="",
        enable=frozenset(EnableGroup(g) for g in enable if g.startswith("pypy")),
    )
    pypy = [i for i in universe() if i.is_pypy and i.kind == "manylinux"]
    assert len(pypy) > 10
    for ident in pypy:
        full = f"{ident.version[0]}.{ident.version[1]}.99"
        assert ours.selected(ident, full) == theirs(str(ident)), ident


def test_pypy_eol_is_pp310_and_older() -> None:
    pypy = BuildSelection(Selector("*", "build"), Selector("", "skip"), None, frozenset({"pypy"}))
    assert pypy.group_needed(Identifier.parse("pp310-manylinux_x86_64"), "3.10.14") == "pypy-eol"
    assert pypy.group_needed(Identifier.parse("pp311-manylinux_x86_64"), "3.11.11") is None


def test_selectors_know_pypy_and_refuse_graalpy() -> None:
    Selector("pp39-* pp3{10,11}-manylinux_*", "build").validate()
    for source in ("build", "skip"):
        with pytest.raises(ConfigError) as err:
            Selector("cp312-* gp312_250-*", source).validate()
        assert err.value.exit_code == ExitCode.CONFIG
        assert err.value.message.startswith(f"{source}: 'gp312_250-*' selects GraalPy.")
        assert "GraalPy is not supported yet" in err.value.message


def test_graalpy_identifier_and_group_are_refused() -> None:
    with pytest.raises(
        ConfigError, match=r"is a GraalPy identifier\. GraalPy is not supported yet"
    ):
        Identifier.parse("gp312_250-manylinux_x86_64")
    with pytest.raises(ConfigError) as err:
        load_config(
            {"tool": {"manywheel": {"enable": ["pypy", "graalpy"]}}}, "pyproject.toml", {}, {}
        )
    assert err.value.exit_code == ExitCode.CONFIG
    assert err.value.message.startswith(
        "pyproject.toml: tool.manywheel.enable: 'graalpy' cannot be enabled. GraalPy is not "
        "supported yet"
    )


CANDIDATES = [
    Candidate(Identifier((3, 11), False, "manylinux", "x86_64"), "3.11.7", "/py311"),
    Candidate(
        Identifier((3, 9), False, "manylinux", "x86_64", "pp"),
        "3.9.16",
        "/usr/bin/pypy3",
        abi="pypy39_pp73",
    ),
]


def plan_of(table: dict[str, Any]) -> list[str]:
    resolver = OptionsResolver(
        load_config({"tool": {"manywheel": table}}, "pyproject.toml", {}, {})
    )
    project = Project(Path("/p"), False, "demo", None, None, "pyproject.toml")
    plan = make_plan(resolver, project, CANDIDATES, "x86_64")
    assert all(job.abi == ("pypy39_pp73" if job.identifier.is_pypy else "") for job in plan.jobs)
    return plan.identifiers


def test_the_plan_builds_pypy_only_when_enabled() -> None:
    assert plan_of({}) == ["cp311-manylinux_x86_64"]
    assert plan_of({"enable": ["pypy-eol"]}) == ["cp311-manylinux_x86_64", "pp39-manylinux_x86_64"]
    assert plan_of({"enable": ["pypy-eol"], "build": "pp*"}) == ["pp39-manylinux_x86_64"]


def test_nothing_selected_names_the_group_pypy_needs() -> None:
    with pytest.raises(NothingToBuildError) as err:
        plan_of({"enable": ["pypy"], "build": "pp39-*"})
    assert 'pp39-manylinux_x86_64 needs enable = ["pypy-eol"]' in err.value.message
