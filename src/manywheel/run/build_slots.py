"""How many cores a build may use: the machine's cores shared among the builds running.

A run of several jobs keeps every core busy with one compiler each. A lone build does not:
setuptools compiles one file after another, and one abi3 wheel (built once, then reused) or
the last job of a run leaves the other cores idle. So each job's build step, when it starts,
is given ``max(1, cores // running builds)`` (itself counted), which the build step passes to
the build tools (steps/parallel_build.py). make and CMake take it once, at the build's start.
The share of each running build is also worked out again whenever a build starts or ends, and
told to the builds that follow it (``on_share``): the setuptools plugin reads it as it goes, so
a build that started beside others takes their cores when they end, and a build that started
alone gives some back as others start.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def usable_cores() -> int:
    """The cores this process may run on (its affinity, which a CI runner or taskset may
    narrow), else the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


class _Claim:
    """One running build: its share, and what is told of it (in order: one lock each)."""

    def __init__(self, on_share: Callable[[int], None] | None) -> None:
        self.share = 0
        self.on_share = on_share
        self.told = 0
        self.lock = threading.Lock()

    def tell(self) -> None:
        """Tell the share as it is now, if it is new to the build (the newest always wins)."""
        with self.lock:
            share, on_share = self.share, self.on_share
            if on_share is not None and share != self.told:
                self.told = share
                on_share(share)

    def end(self) -> None:
        """Nothing is told any more (a telling under way is waited for)."""
        with self.lock:
            self.on_share = None


class BuildSlots:
    def __init__(self, cores: int) -> None:
        self.cores = max(1, cores)
        self._running: list[_Claim] = []
        self._lock = threading.Lock()

    @contextmanager
    def claim(self, on_share: Callable[[int], None] | None = None) -> Iterator[int]:
        """A build running: the cores it may use, decided now; ``on_share`` is told that share,
        then each new one while the build runs (from the thread of the build that starts or
        ends), never after the claim ends."""
        me = _Claim(on_share)
        with self._lock:
            self._running.append(me)
            others = self._reshare()  # this one's share among them
            share = me.share
        self._tell(others)
        try:
            yield share
        finally:
            me.end()
            with self._lock:
                self._running.remove(me)
                others = self._reshare()
            self._tell(others)

    def _reshare(self) -> list[_Claim]:
        """Every running build's share, as it is now (under the lock): the builds whose share
        changed."""
        share = max(1, self.cores // max(1, len(self._running)))
        changed = [c for c in self._running if c.share != share]
        for claim in changed:
            claim.share = share
        return changed

    @staticmethod
    def _tell(claims: list[_Claim]) -> None:
        for claim in claims:
            claim.tell()
