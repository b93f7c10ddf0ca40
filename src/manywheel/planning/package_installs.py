"""A cibuildwheel ``before-all`` that only installs known libraries with the image's package
manager (``yum install -y libffi-devel``), read as manywheel's ``system-packages``: the same
libraries, installed under each image's manager's own names (planning/system_packages.py), so
the configuration also works in an image whose manager is not the one the script names.

Only a plain list of install commands is read, and alternatives of them that install the
same libraries with other managers, what system-packages does by itself: joined by ``||``
(``yum install -y libffi-devel || apk add libffi-dev``), or each run where its manager is
(``if command -v apk; then apk add libffi-dev; fi``, ``if [ -x /usr/bin/yum ]; then ...; fi``,
pycares' and zstandard's), with comments and ``set -eux`` around them. Any other command,
another shell construct, an option that changes what is installed (``--enablerepo=...``) or
a package that is not a known library's keeps the ``before-all`` as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from manywheel.planning.system_packages import is_known, library

# what an install command may say besides its packages: options that only make it quiet,
# non-interactive or lean, never which packages or from where
_HARMLESS = frozenset(
    {
        "-y",
        "--yes",
        "--assumeyes",
        "-q",
        "-qq",
        "--quiet",
        "--no-cache",
        "--no-install-recommends",
        "--upgrade",
        "-U",
    }
)
# (the manager, the verb that installs); apt-get's update is a step of its install
_INSTALL = {
    "yum": "install",
    "dnf": "install",
    "apt-get": "install",
    "apt": "install",
    "apk": "add",
}
_SHELL = re.compile(r"[|<>$`\"'\\(){}*?#=\[\]]")
# a line of the script's own that changes nothing installed: a comment, the shell's options
_BOOKKEEPING = re.compile(r"^\s*(?:#.*|set(?:\s+[-+][euxo]+(?:\s+pipefail)?)+\s*)$")
# one install command run where its manager is: the manager, and the command
_GUARDED = re.compile(
    r"\bif\s+(?:command\s+-v\s+(?P<command>[\w-]+)(?:\s*>\s*/dev/null)?(?:\s*2>\s*&1)?"
    r"|(?:\[|test)\s+-x\s+(?:/usr)?/s?bin/(?P<path>[\w-]+)(?:\s+\])?)"
    r"\s*[;\n]\s*then\s+(?P<body>[^;\n]+?)\s*[;\n]\s*fi\b"
)


def system_packages(before_all: Any) -> list[str] | None:
    """The known libraries ``before_all`` (a command, or a list of them) installs, when that
    is all it does; None otherwise."""
    commands = before_all if isinstance(before_all, list) else [before_all]
    lines = "\n".join(str(c) for c in commands).splitlines()
    text = "\n".join(line for line in lines if not _BOOKKEEPING.match(line))
    guarded = [_guarded(match) for match in _GUARDED.finditer(text)]
    if guarded:  # only installs each where its manager is, nothing else
        if _GUARDED.sub("\n", text).strip("\n ;") or "" in guarded:
            return None
        text = " || ".join(guarded)
    if _SHELL.search(text.replace("||", "")):
        return None
    names: list[str] = []
    for part in re.split(r"&&|;|\n", text):
        installed = _alternatives(part.split("||"))
        if installed is None:
            return None
        names += installed
    if not names:
        return None
    return list(dict.fromkeys(names))


def _alternatives(commands: Sequence[str]) -> list[str] | None:
    """The known libraries the first of ``commands`` installs, when each installs the same
    libraries (by another manager's names; [] for nothing to run); None otherwise."""
    first: list[str] | None = None
    for command in commands:
        words = command.split()
        if words[:1] == ["sudo"]:
            words = words[1:]
        installed = _installed(words) if words else []
        if installed is None or not all(is_known(n) for n in installed):
            return None
        if first is None:
            first = installed
        elif sorted({library(n) for n in installed}) != sorted({library(n) for n in first}):
            return None
    return first if first is not None else []


def _installed(words: Sequence[str]) -> list[str] | None:
    """The packages one command installs ([] for apt-get update); None: not only that."""
    verb = _INSTALL.get(words[0])
    if verb is None:
        return None
    flags = [w for w in words[1:] if w.startswith("-")]
    rest = [w for w in words[1:] if not w.startswith("-")]
    if not set(flags) <= _HARMLESS:
        return None
    if words[0] in ("apt-get", "apt") and rest == ["update"]:
        return []
    if rest[:1] != [verb] or len(rest) < 2:
        return None
    return rest[1:]


def _guarded(match: re.Match[str]) -> str:
    """The command of an ``if`` that runs it where its manager is ("" when the command is
    not that manager's)."""
    manager = match["command"] or match["path"]
    words = match["body"].split()
    if words[:1] == ["sudo"]:
        words = words[1:]
    return match["body"] if words[:1] == [manager] else ""
