"""Rewrite the generated options reference in docs/options.md from the option declarations."""

from __future__ import annotations

import re
from pathlib import Path

from manywheel.config.reference import BEGIN, END, markdown

PAGE = Path(__file__).resolve().parent.parent / "docs" / "options.md"


def main() -> None:
    text = PAGE.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    PAGE.write_text(pattern.sub(lambda _: markdown(), text), encoding="utf-8")


if __name__ == "__main__":
    main()
