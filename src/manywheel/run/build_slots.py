"""How many cores a build may use: the machine's cores shared among the builds running.

A run of several jobs keeps every core busy with one compiler each. A lone build does not:
setuptools compiles one file after another, and one abi3 wheel (built once, then reused) or
the last job of a run leaves the other cores idle. So each job's build step, when it starts,
is given ``max(1, cores // running builds)`` (itself counted), which the build step passes to
the build tools (steps/parallel_build.py). The share is decided once, at the build's start:
a build that started alone keeps its cores while later ones start with fewer, and cores come
back to builds that start after others ended.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def usable_cores() -> int:
    """The cores this process may run on (its affinity, which a CI runner or taskset may
    narrow), else the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


class BuildSlots:
    def __init__(self, cores: int) -> None:
        self.cores = max(1, cores)
        self._running = 0
        self._lock = threading.Lock()

    @contextmanager
    def claim(self) -> Iterator[int]:
        """A build running: the cores it may use, decided now."""
        with self._lock:
            self._running += 1
            share = max(1, self.cores // self._running)
        try:
            yield share
        finally:
            with self._lock:
                self._running -= 1
