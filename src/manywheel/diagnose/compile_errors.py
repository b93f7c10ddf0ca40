"""A build's compile errors, picked from its log: what a build that still succeeded hides.

Some projects (PyYAML, simplejson, many with an optional speed-up) catch a failed compile of
their extension and build a wheel without it: the build exits 0, and only auditwheel, which
finds nothing compiled in the wheel, fails. The compiler's own lines say why.
"""

from __future__ import annotations

import re
from pathlib import Path

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
