"""Which compiler caches already hold a project's shared objects, so that no job waits to fill
them again.

run/compile_order.py holds the later jobs of a compile-flag signature until the first one
built, so that they find its objects in the compiler cache instead of compiling the same files
side by side. Once a build of that signature succeeded in that group (image or host, arch),
the objects are there: a later run whose shareable files are the same (their names and
contents, planning/shared_sources.py) has nothing to wait for. After a one-file edit of a file
that includes Python.h, its jobs start side by side again.

A record is an empty file named by a hash of (shareable files, image, arch, signature), kept
next to the compiler cache. A record that is wrong (the compiler cache was cleared, or
evicted the objects) costs time, never a different wheel: the jobs compile side by side.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WarmRecords:
    root: Path  # where the records are
    shared: str  # the digest of the project's shareable source files

    def _path(self, image: str, arch: str, signature: str) -> Path:
        text = json.dumps([self.shared, image, arch, signature])
        return self.root / hashlib.sha256(text.encode()).hexdigest()[:32]

    def warmed(self, image: str, arch: str, signature: str) -> bool:
        """Whether a build of this signature in this group stored the shared objects."""
        return self._path(image, arch, signature).is_file()

    def record(self, image: str, arch: str, signature: str) -> None:
        """A build of this signature succeeded: its shared objects are in the cache."""
        path = self._path(image, arch, signature)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        except OSError:
            pass  # the next run holds its jobs as this one did
