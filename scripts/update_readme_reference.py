"""Rewrite the generated configuration reference in README.md from the option declarations."""

from __future__ import annotations

import re
from pathlib import Path

from manywheel.config.reference import BEGIN, END, markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def main() -> None:
    text = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    README.write_text(pattern.sub(lambda _: markdown(), text), encoding="utf-8")


if __name__ == "__main__":
    main()
