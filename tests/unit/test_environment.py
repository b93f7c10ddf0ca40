"""$VAR expansion in environment options and placeholder filling in commands."""

from __future__ import annotations

from manywheel.config.expansion import evaluate, expand, fill


def test_expand() -> None:
    assert expand("$A:${B}:$MISSING", {"A": "1", "B": "2"}) == "1:2:"


def test_evaluate_in_order() -> None:
    assert evaluate(
        (("A", "x"), ("B", "$A-y"), ("PATH", "/opt/bin:$PATH")), {"PATH": "/usr/bin"}
    ) == {"A": "x", "B": "x-y", "PATH": "/opt/bin:/usr/bin"}


def test_fill_quotes_values_and_leaves_shell_braces() -> None:
    assert fill("pytest {project}/tests ${HOME}", project="/tmp/my project") == (
        "pytest '/tmp/my project'/tests ${HOME}"
    )
