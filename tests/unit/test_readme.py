"""README.md is the landing page: short, opening with the two set-up commands, and every link
in it leads to a page of the documentation site."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SETUP_COMMANDS = [
    "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/manywheel build examples/spam",
    "bash scripts/test.sh",
]


def test_readme_is_a_landing_page_of_at_most_250_lines() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move details to docs/"


def test_readme_opens_with_the_two_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = text.split("```")[1]
    language, *commands = first_block.strip().splitlines()
    assert language == "bash"
    assert commands == SETUP_COMMANDS


def test_the_setup_commands_are_in_the_first_25_lines() -> None:
    first = README.read_text(encoding="utf-8").splitlines()[:25]
    for command in SETUP_COMMANDS:
        assert command in first, f"{command!r} is not a line of README.md's first 25"


def test_readme_links_to_every_page_of_the_site() -> None:
    text = README.read_text(encoding="utf-8")
    linked = {m.split("#")[0] for m in re.findall(r"\]\((docs/[^)\s]+)\)", text)}
    assert {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")} <= linked
    assert [link for link in linked if not (ROOT / link).is_file()] == []
