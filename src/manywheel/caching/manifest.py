"""A cache entry's manifest: the files its build used, checked again on every hit.

The key (wheel_cache.py) is a promise: the same options, project, interpreter or image, build
environment and manywheel code. It cannot name what the build found on the machine: the
compiler PATH resolved to, the host libraries auditwheel grafted into the wheel. So an entry
also records those files, where they were found and a hash of their content, and a hit looks
at them again where they are (ccache's manifests with compiler_check=content, Bazel's action
cache): a file changed, gone or found elsewhere now refuses the hit, and so does a file that
could not be checked when the entry was stored. Inside a container the image ID (in the key)
stands for the image's files; the manifest says so instead of hashing them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from manywheel.caching import code_digest
from manywheel.files import sha256_file

Role = Literal["manywheel", "compiler", "library"]
# hash: looked at again on a hit; key: covered by the key (the image ID, the project's hash);
# never: could not be checked when stored, so never served
How = Literal["hash", "key", "never"]


@dataclass(frozen=True)
class Check:
    """One input of a build, as it was when the entry was stored."""

    role: Role
    name: str  # what the build asked for: gcc, a word of $CC, libfoo.so.1
    path: str = ""  # where it was found; "" when nothing was
    sha256: str = ""  # of the file's content (symlinks followed)
    search: tuple[str, ...] = ()  # the directories ``name`` is looked up in, in order
    how: How = "hash"
    why: str = ""  # for "key" and "never"

    def refusal(self) -> str | None:
        """Why this input no longer holds (None: it does)."""
        if self.how == "key":
            return None
        if self.how == "never":
            return f"{self._what()} {self.name} could not be checked: {self.why}"
        if self.role == "manywheel":
            same = self.sha256 == code_digest.manywheel_digest()
            return None if same else "manywheel's code changed"
        return self._found_elsewhere() or self._changed()

    def _found_elsewhere(self) -> str | None:
        """The name, looked up again as the build looked it up, finds another file (or one
        where there was none)."""
        if not self.search and self.path:
            return None  # asked for by its path, or found by auditwheel outside the search
        find = find_program if self.role == "compiler" else find_library
        found = find(self.name, self.search)
        if found == self.path:
            return None
        return (
            f"{self._what()} {self.name} is now {found or 'nothing'} (was {self.path or 'nothing'})"
        )

    def _changed(self) -> str | None:
        if not self.path or content_hash(self.path) == self.sha256:
            return None
        return f"{self._what()} {self.path} {'changed' if os.path.exists(self.path) else 'is gone'}"

    def _what(self) -> str:
        return "grafted library" if self.role == "library" else self.role


@dataclass(frozen=True)
class Manifest:
    """What an entry's build used: manywheel's code first, then compilers and libraries."""

    checks: tuple[Check, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, checks: Iterable[Check] = ()) -> Manifest:
        code = Check("manywheel", "manywheel", sha256=code_digest.manywheel_digest())
        return cls((code, *checks))

    def refusal(self) -> str | None:
        """The first input that no longer holds, said for the run's output; None: all hold."""
        if not any(check.role == "manywheel" for check in self.checks):
            return "it records no manywheel code"
        for check in self.checks:
            reason = check.refusal()
            if reason is not None:
                return reason
        return None

    def to_json(self) -> list[dict[str, Any]]:
        return [{**asdict(check), "search": list(check.search)} for check in self.checks]

    @classmethod
    def from_json(cls, data: object) -> Manifest:
        """Raises ValueError for anything this manywheel did not write."""
        if not isinstance(data, list):
            raise ValueError("no manifest")
        checks = []
        for item in data:
            if not isinstance(item, dict):
                raise ValueError("not a check")
            try:
                check = Check(**{**item, "search": tuple(item.get("search", ()))})
            except TypeError as exc:  # a field this manywheel does not know
                raise ValueError(str(exc)) from None
            if check.role not in get_args(Role) or check.how not in get_args(How):
                raise ValueError(f"unknown check {check.role}/{check.how}")
            checks.append(check)
        return cls(tuple(checks))


def content_hash(path: str) -> str:
    """sha256 of the file at ``path`` (symlinks followed), "" if it cannot be read. Not
    memoised by size and time stamps: a file rewritten within one clock tick keeps them."""
    try:
        return sha256_file(Path(os.path.realpath(path)))
    except OSError:
        return ""


def _is_ccache(path: str) -> bool:
    # ccache's masquerade links (compiler_cache.py) run the next compiler on PATH, and never
    # change an object (same preprocessed input, compiler and flags): the compiler is that one
    return os.path.basename(os.path.realpath(path)) == "ccache"


def find_program(name: str, search: Sequence[str]) -> str:
    """``name`` as a shell finds it on ``search`` (PATH's directories), past ccache's links;
    a name with a slash is itself. "" when there is none."""
    if "/" in name:
        return name if os.path.isfile(name) and os.access(name, os.X_OK) else ""
    for directory in search:
        candidate = os.path.join(directory, name)
        executable = os.path.isfile(candidate) and os.access(candidate, os.X_OK)
        if executable and not _is_ccache(candidate):
            return candidate
    return ""


def find_library(name: str, search: Sequence[str]) -> str:
    """The first file called ``name`` in ``search`` (the library directories), or ""."""
    for directory in search:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate
    return ""
