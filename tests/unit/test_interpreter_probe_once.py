"""Interpreters are asked what they are once per run (the plan and the backends both discover
them), and asked again when the file changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from manywheel.config.identifiers import Identifier
from manywheel.planning import interpreters
from manywheel.planning.interpreters import Interpreter, probe


def test_a_file_is_probed_once_until_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def fake_probe(path: str) -> Interpreter:
        asked.append(path)
        return Interpreter(path, "3.12.1", Identifier((3, 12), False, "manylinux", "x86_64"))

    monkeypatch.setattr(interpreters, "_probe", fake_probe)
    monkeypatch.setattr(interpreters, "_probed", {})
    python = tmp_path / "python3.12"
    python.write_text("#!/bin/sh\n")
    link = tmp_path / "python3"
    link.symlink_to(python)

    first = probe(str(python))
    assert probe(str(python)) == first
    via_link = probe(str(link))  # the same file: not asked again, but named as asked for
    assert via_link is not None
    assert via_link.path == str(link)
    assert asked == [str(python)]

    python.write_text("#!/bin/sh\n# another build\n")
    os.utime(python, ns=(1, 1))
    probe(str(python))
    assert asked == [str(python), str(python)]
    assert probe(str(tmp_path / "missing")) is None
