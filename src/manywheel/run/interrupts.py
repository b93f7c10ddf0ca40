"""Cleanup that a second Ctrl-C cannot cut short."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP while the block runs (containers are being removed,
    temp dirs deleted); an interrupt that arrived meanwhile is raised as KeyboardInterrupt
    when the block ends, unless an exception is already on its way out.

    Signals that are ignored (``nohup``, a background job) stay ignored. Outside the main
    thread (in-process tests) signal handlers cannot be changed, and nothing is deferred.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        arrived.append(signum)

    previous: dict[signal.Signals, Any] = {}
    for sig in _SIGNALS:
        handler = signal.getsignal(sig)
        if handler is not signal.SIG_IGN:
            previous[sig] = handler
            signal.signal(sig, record)
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if arrived and not failed:
            raise KeyboardInterrupt
