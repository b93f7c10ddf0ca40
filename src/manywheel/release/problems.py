"""One problem found in a distribution file, and who would refuse the file for it.

``PyPI``: the upload endpoint refuses the file, and the message is PyPI's own reason (its
links to the documentation left out). ``twine``: twine refuses to send it. ``manywheel``: PyPI
takes the file, but it is broken (a stale RECORD, a path escaping the archive): installers
may refuse it or install something else than was built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Origin = Literal["PyPI", "twine", "manywheel"]


@dataclass(frozen=True)
class Problem:
    origin: Origin
    message: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}"

    @property
    def refused_on_upload(self) -> bool:
        return self.origin != "manywheel"


def pypi(message: str) -> Problem:
    return Problem("PyPI", message)


def twine(message: str) -> Problem:
    return Problem("twine", message)


def broken(message: str) -> Problem:
    return Problem("manywheel", message)


def sentence(message: str) -> str:
    """PyPI ends each metadata error it returns with a full stop."""
    return message if message.endswith(".") else message + "."
