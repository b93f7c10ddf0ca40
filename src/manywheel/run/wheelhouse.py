"""The output directory: finished wheels land atomically and are never removed by manywheel.

One file name, one wheel per run. Two jobs that deliver different bytes under one name collide
(an error naming both), except for an abi3 wheel: every CPython of a platform may build the same
``cp3X-abi3`` wheel when nothing told the scheduler to hold the later ones back (a project whose
abi3 setting it cannot see), and a compiled wheel's bytes differ between builds unless the build
is reproducible. There the later job is told what was delivered (``AlreadyDelivered``) and tests
that wheel instead (run/pipeline.py).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from packaging.utils import parse_wheel_filename

from manywheel.backends.base import Executor
from manywheel.errors import ConfigError, WheelCollision
from manywheel.files import atomic_write, sha256_file
from manywheel.release.check import require_valid_wheel
from manywheel.release.reproducible import normalize_wheel


@dataclass(frozen=True)
class Delivered:
    wheel: Path  # in the output dir
    identifier: str  # the job that delivered it
    digest: str  # its sha256


class AlreadyDelivered(Exception):
    """An earlier job of this run delivered an abi3 wheel of this name, with other bytes: it
    stays, and the later job tests it instead of its own (not a failure)."""

    def __init__(self, earlier: Delivered) -> None:
        super().__init__(f"{earlier.wheel.name} was delivered by {earlier.identifier}")
        self.earlier = earlier


def _is_abi3(name: str) -> bool:
    return any(tag.abi == "abi3" for tag in parse_wheel_filename(name)[3])


class Wheelhouse:
    def __init__(self, path: Path, source_date_epoch: int | None = None) -> None:
        self.path = path
        self.source_date_epoch = source_date_epoch  # normalise landing wheels to this date
        # what this run delivered, by file name, to refuse collisions
        self._delivered: dict[str, Delivered] = {}
        self._lock = threading.Lock()
        # one lock per file name, held from the copy to the rename: a name is claimed only by
        # a wheel that is in place, and two jobs never land one name at once
        self._name_locks: dict[str, threading.Lock] = {}

    def ensure(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"output dir '{self.path}' cannot be created ({exc.strerror}). Choose another "
                "with --output-dir."
            ) from None
        if not os.access(self.path, os.W_OK | os.X_OK):
            raise ConfigError(
                f"output dir '{self.path}' is not writable. Fix its permissions or choose "
                "another with --output-dir."
            )

    def add(self, executor: Executor, src: PurePosixPath, identifier: str) -> Path:
        """Copy a wheel out of the executor: to a hidden temp name first, then rename."""
        return self._land(src.name, identifier, lambda partial: executor.copy_out(src, partial))

    def add_file(self, src: Path, identifier: str) -> Path:
        """Copy a host file (a cached wheel) in, atomically."""
        return self._land(src.name, identifier, lambda partial: shutil.copyfile(src, partial))

    def delivered_abi3(self, name: str) -> Delivered | None:
        """The abi3 wheel an earlier job of this run delivered under ``name``, if any."""
        if not _is_abi3(name):
            return None
        with self._lock:
            return self._delivered.get(name)

    def _land(self, name: str, identifier: str, write: Callable[[Path], object]) -> Path:
        digest = ""

        def write_checked(partial: Path) -> None:
            nonlocal digest
            write(partial)
            self._finish(partial, name)
            digest = sha256_file(partial)
            self._check(name, identifier, digest)

        with self._lock:
            name_lock = self._name_locks.setdefault(name, threading.Lock())
        with name_lock:
            final = atomic_write(self.path / name, write_checked)
            with self._lock:
                self._delivered.setdefault(name, Delivered(final, identifier, digest))
        return final

    def _check(self, name: str, identifier: str, digest: str) -> None:
        """One file name, one wheel: identical bytes from two jobs are fine; different bytes
        are an error naming both (the first stays), or for an abi3 wheel AlreadyDelivered."""
        with self._lock:
            first = self._delivered.get(name)
        if first is None or first.digest == digest:
            return
        if _is_abi3(name):
            raise AlreadyDelivered(first)
        raise self.collision(name, identifier, first)

    @staticmethod
    def collision(name: str, identifier: str, first: Delivered) -> WheelCollision:
        return WheelCollision(
            f"{identifier} built {name}, but {first.identifier} already delivered a different "
            "wheel under that name in this run; the first is kept. Two identifiers must "
            "not produce one file name with different contents: check the project's "
            "wheel tags (e.g. a py_limited_api or abi3 setting that differs per build).",
            step="deliver",
            command=f"deliver {name}",
            returncode=1,
        )

    def _finish(self, partial: Path, name: str) -> None:
        """Normalise the zip (reproducible bytes), then refuse a broken wheel."""
        if self.source_date_epoch is not None:
            normalize_wheel(partial, self.source_date_epoch)
        require_valid_wheel(partial, name)
