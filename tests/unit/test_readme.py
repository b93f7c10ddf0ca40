"""The README's configuration reference is generated from the option declarations."""

from __future__ import annotations

from pathlib import Path

from manywheel.config.reference import markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_reference_is_current() -> None:
    assert markdown() in README.read_text(encoding="utf-8"), (
        "README.md's options reference is stale: run "
        "'.venv/bin/python scripts/update_readme_reference.py'"
    )


def test_readme_opens_with_the_two_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = text.split("```")[1]
    language, *commands = first_block.strip().splitlines()
    assert language == "bash"
    assert commands == [
        "python3 -m venv .venv && .venv/bin/pip install . "
        "&& .venv/bin/manywheel build examples/spam",
        "bash scripts/test.sh",
    ]
