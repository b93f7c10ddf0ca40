"""The output directory: finished wheels land atomically and are never removed by manywheel."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from manywheel.backends.base import Executor
from manywheel.errors import ConfigError, WheelCollision
from manywheel.files import atomic_write, sha256_file
from manywheel.release.check import require_valid_wheel
from manywheel.release.reproducible import normalize_wheel


class Wheelhouse:
    def __init__(self, path: Path, source_date_epoch: int | None = None) -> None:
        self.path = path
        self.source_date_epoch = source_date_epoch  # normalise landing wheels to this date
        # what this run delivered: file name -> (identifier, sha256), to refuse collisions
        self._delivered: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

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

    def _land(self, name: str, identifier: str, write: Callable[[Path], object]) -> Path:
        def write_checked(partial: Path) -> None:
            write(partial)
            self._finish(partial, name)
            self._claim(name, identifier, sha256_file(partial))

        return atomic_write(self.path / name, write_checked)

    def _claim(self, name: str, identifier: str, digest: str) -> None:
        """One file name, one wheel: identical bytes from two jobs are fine, different bytes
        are an error naming both (the first stays)."""
        with self._lock:
            first = self._delivered.setdefault(name, (identifier, digest))
        if first[1] != digest:
            raise WheelCollision(
                f"{identifier} built {name}, but {first[0]} already delivered a different "
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
