"""A group executor started in the background: a cross build's test container comes up
(seconds under QEMU: the engine, the emulated probe, the files put in) while the host builds,
instead of before it. The first to need it waits for it (``ready``); a failed start is raised
there, to every job that needs it, as the error it was.
"""

from __future__ import annotations

import threading

from manywheel.backends.base import GroupExecutor


class BackgroundStart:
    def __init__(self, executor: GroupExecutor) -> None:
        self.executor = executor
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._start, name="manywheel-start", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        try:
            self.executor.start()
        except BaseException as exc:  # raised again to whoever needs the executor
            self._error = exc

    def _join(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def ready(self) -> GroupExecutor:
        """The executor, once started; its start's error if it could not start."""
        self._join()
        if self._error is not None:
            raise self._error
        return self.executor

    def cancel(self) -> None:
        self.executor.cancel()  # a start in progress stops too (its commands are cancelled)

    def close(self) -> None:
        self._join()  # never remove a container while it is being created
        self.executor.close()

    def keep(self) -> str | None:
        self._join()
        return self.executor.keep()
