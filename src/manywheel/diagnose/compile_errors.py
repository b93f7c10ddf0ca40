"""A build's compile errors, picked from its log: what a build that still succeeded hides.

Some projects (PyYAML, simplejson, google-crc32c, many with an optional speed-up) catch a
failed compile of their extension and build a wheel without it: the build exits 0, and the
wheel is pure (py3-none-any), or tagged for the platform with nothing compiled in it, which
only auditwheel finds. The compiler's own lines say why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from manywheel.diagnose.missing_files import advice, missing_files
from manywheel.files import log_text

# gcc's and clang's diagnostics (``file:line:col: fatal error: ...``) and the linker's missing
# library (``/usr/bin/ld: cannot find -lyaml``)
_ERROR = re.compile(r"^\S+:\d+(?::\d+)?: (?:fatal )?error: .+|^\S*\bld(?:\.\w+)?: cannot find .+")


def compile_errors(log: Path, limit: int = 3, end: int | None = None) -> list[str]:
    """The first ``limit`` distinct compile errors in the log (of its first ``end`` bytes)."""
    text = log_text(log, end=end)
    found: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if _ERROR.match(line) and line not in found:
            found.append(line)
            if len(found) == limit:
                break
    return found


@dataclass(frozen=True)
class LeftOut:
    """Why a build left its extension out, as its log says: the compile errors in it (none
    found: empty), and what to do."""

    errors: list[str]
    fix: str

    def __str__(self) -> str:
        if not self.errors:
            return f" {self.fix}"
        which = "this compile error" if len(self.errors) == 1 else "these compile errors"
        return f" The build's log has {which}: {'; '.join(map(repr, self.errors))}. {self.fix}"


def left_out(log: Path, *, native: bool, system_packages: Sequence[str]) -> LeftOut:
    """The compile errors of the build's log, and what to install for what it did not find
    (else: give the compile what it needs)."""
    found = advice(missing_files(log), native=native, system_packages=system_packages)
    fix = found or (
        "Give the compile what it needs (a library's headers: the system-packages option; a "
        "tool: before-all) and build again."
    )
    return LeftOut(compile_errors(log), fix)
