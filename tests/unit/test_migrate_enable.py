"""manywheel migrate keeps cibuildwheel's enable groups that manywheel has (PyPy among them)
and says which it leaves out."""

from __future__ import annotations

from typing import Any

from manywheel.ci.migrate import migrate


def cibuildwheel(table: dict[str, Any]) -> dict[str, Any]:
    return {"tool": {"cibuildwheel": table}}


def test_pypy_and_freethreading_groups_are_kept() -> None:
    result = migrate(cibuildwheel({"enable": ["pypy", "cpython-freethreading"]}), {})
    assert result.table["enable"] == ["pypy", "cpython-freethreading"]
    assert result.notes == []


def test_the_environment_variable_keeps_pypy_eol() -> None:
    result = migrate(cibuildwheel({}), {"CIBW_ENABLE": "pypy pypy-eol"})
    assert result.table["enable"] == ["pypy", "pypy-eol"]


def test_graalpy_and_pyodide_are_left_out_with_a_note() -> None:
    result = migrate(cibuildwheel({"enable": "pypy graalpy pyodide-prerelease"}), {})
    assert result.table["enable"] == ["pypy"]
    assert any(
        n.startswith("tool.cibuildwheel.enable: graalpy (GraalPy is not supported yet")
        for n in result.notes
    )
    assert any(n.startswith("tool.cibuildwheel.enable: pyodide-prerelease") for n in result.notes)


def test_all_means_every_group_manywheel_has() -> None:
    result = migrate(cibuildwheel({"enable": "all"}), {})
    assert sorted(result.table["enable"]) == [
        "cpython-freethreading",
        "cpython-prerelease",
        "pypy",
        "pypy-eol",
    ]


def test_pypy_selectors_are_kept_and_graalpy_ones_dropped() -> None:
    result = migrate(cibuildwheel({"build": "cp312-* pp311-*", "skip": "pp310-* gp*"}), {})
    assert result.table["build"] == "cp312-* pp311-*"
    assert result.table["skip"] == "pp310-*"
    assert any(n.startswith("tool.cibuildwheel.skip: gp* (GraalPy") for n in result.notes)


def test_cibuildwheel_2_s_free_threaded_support_becomes_its_group() -> None:
    result = migrate(cibuildwheel({"free-threaded-support": True, "enable": ["pypy"]}), {})
    assert result.table["enable"] == ["pypy", "cpython-freethreading"]
    assert result.notes == []
    assert "enable" not in migrate(cibuildwheel({"free-threaded-support": False}), {}).table


def test_dependency_versions_is_left_out_saying_why() -> None:
    result = migrate(cibuildwheel({"dependency-versions": "pinned"}), {})
    assert result.table == {}
    assert result.notes == [
        "tool.cibuildwheel.dependency-versions (on Linux cibuildwheel pins only its own tools "
        "with it; manywheel's are its own dependencies, and the build requirements follow "
        "PIP_CONSTRAINT or UV_BUILD_CONSTRAINT in environment)"
    ]
