"""manywheel: repaired, tested manylinux/musllinux wheels for every CPython, in one command."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
