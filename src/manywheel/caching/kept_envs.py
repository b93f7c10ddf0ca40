"""Build environments kept at a stable path, so that the compiler cache's direct mode hits.

An isolated build (uv's, build's, pip's) installs the build requirements into a new
environment at a random path, and the compile line names it (setuptools adds the
environment's ``include`` directory; numpy's, pybind11's headers are in its site-packages).
ccache's direct mode hashes the compile line, so it misses on every build and falls back to
running the preprocessor over each unchanged file. A build environment per (interpreter,
identifier, build requirements) at a path that does not change gives the same compile line
in every run, and direct mode hits.

Such an environment is kept across runs (in the cache home natively, in a host directory per
image mounted into containers), brought to exactly what the requirements resolve to before
each build (steps/env_requirements.py: resolved, then synced, so that a new release of a
requirement is installed as an isolated build would, and whatever a build left behind is
removed), and used by one build at a time: a lock file next to it, taken without waiting. A
build that finds it taken (a concurrent run building the same job) builds isolated, as
before.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from manywheel.caching.compiler_cache import cache_home

# bumped when what an environment holds or how it is made changes: old ones are left unused
FORMAT = 1


def build_envs_dir(name: str) -> Path:
    """The host directory of one executor's kept build environments (``native`` or
    ``<engine>-<image id>``), next to its compiler cache."""
    return cache_home() / "build-envs" / name


@dataclass(frozen=True)
class BuildEnvRoot:
    """The directory the kept build environments of one executor live in."""

    host: Path  # as the host sees it: the locks are taken here
    inside: PurePosixPath  # as the executor's commands see it

    def name(self, identifier: str, python: str, requires: Sequence[str], backend: str) -> str:
        """The environment's directory name: readable, and a hash of all it depends on."""
        text = json.dumps([FORMAT, python, sorted(requires), backend])
        return f"{identifier}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"

    @contextmanager
    def lock(self, name: str) -> Iterator[bool]:
        """Hold ``name``'s lock while the block runs: True when taken, False when another
        process holds it (then the environment must not be touched)."""
        self.host.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.host / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # releases the lock
