"""pip's configuration read ahead in a thread of its own (commands/build.py starts it while the
plan is made): what the read raised reaches the caller, who must not wait for an answer that
never comes."""

from __future__ import annotations

import threading

import pytest

from manywheel.backends import pip_config


def test_a_prefetch_that_raises_raises_in_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(python: str) -> dict[str, str]:
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    monkeypatch.setattr(pip_config, "read_pip_config", broken)
    pip_config.prefetch_pip_config("/nowhere/python")
    raised: list[BaseException] = []

    def ask() -> None:
        try:
            pip_config.pip_config("/nowhere/python")
        except BaseException as exc:
            raised.append(exc)

    caller = threading.Thread(target=ask, daemon=True)
    caller.start()
    caller.join(10)
    assert not caller.is_alive(), "pip_config() waited for a read that had failed"
    assert [type(e) for e in raised] == [UnicodeDecodeError]
