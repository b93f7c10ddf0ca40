"""Environment values that run a command ($(...), backticks) go to a shell where the build
runs, as cibuildwheel's do; the others expand $VAR and ${VAR} here."""

from __future__ import annotations

from collections.abc import Mapping

from manywheel.ci.migrate import migrate
from manywheel.config.expansion import evaluate, substitutes


def test_only_values_that_run_a_command_go_to_the_shell() -> None:
    asked: list[tuple[str, str, dict[str, str]]] = []

    def shell(name: str, value: str, env: Mapping[str, str]) -> str:
        asked.append((name, value, dict(env)))
        return "/project/tools"

    result = evaluate(
        (("A", "$HOME/a"), ("TOOLS", "$(pwd)/tools"), ("B", "$TOOLS:$A")),
        {"HOME": "/root"},
        shell,
    )
    assert result == {"A": "/root/a", "TOOLS": "/project/tools", "B": "/project/tools:/root/a"}
    # the shell sees the variables before the value, not those after it
    assert asked == [("TOOLS", "$(pwd)/tools", {"HOME": "/root", "A": "/root/a"})]


def test_what_runs_a_command() -> None:
    assert substitutes("$(pwd)/bin")
    assert substitutes("`date`")
    assert not substitutes("$PATH:${HOME}/bin")
    assert not substitutes("a (b) $")


def test_migrate_keeps_such_a_value() -> None:
    document = {"tool": {"cibuildwheel": {"environment": {"PATH": "$(pwd)/bin:$PATH"}}}}
    result = migrate(document, {})
    assert result.table["environment"] == {"PATH": "$(pwd)/bin:$PATH"}
    assert result.notes == []
