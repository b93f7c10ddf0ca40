"""A cache hit is served only if what its build used still holds: manywheel's code, the
compilers on PATH, the host libraries auditwheel grafted (the entry's manifest)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from manywheel.caching import code_digest
from manywheel.caching.wheel_cache import WheelCache
from tests.fast.fakes import FakeBackend, FakeExecutor, job, payload_of, plan
from tests.fast.harness import run

JOB = "cp312-manylinux_x86_64"


class Machine:
    """A host with a bin/ (compilers) and lib/ (a library auditwheel grafts), a cache, and
    native builds through the fake executor; ``build()`` says whether it was a hit."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.bin, self.lib = tmp_path / "bin", tmp_path / "lib"
        self.bin.mkdir()
        self.lib.mkdir()
        self.refused: list[tuple[str, str]] = []
        self.cache = WheelCache(tmp_path / "cache", 1 << 30, self._refused)
        self.env = {"PATH": str(self.bin), "LD_LIBRARY_PATH": str(self.lib)}
        self.grafts: tuple[Path, ...] = ()
        self.runs = 0
        self.last_wheel: Path | None = None

    def _refused(self, job: str, why: str) -> None:
        self.refused.append((job, why))

    def tool(self, name: str, text: str, where: Path | None = None) -> Path:
        path = (where or self.bin) / name
        path.write_text(f"#!/bin/sh\n# {text}\nexec /usr/bin/true\n")
        path.chmod(0o755)
        return path

    def build(self, kind: str = "native") -> bool:
        def configure(executor: FakeExecutor) -> None:
            executor.kind = kind
            executor.grafts = self.grafts

        backend = FakeBackend(configure=configure, environ=dict(self.env))
        self.runs += 1
        outcome = run(self.tmp / f"run{self.runs}", plan(job(JOB)), backend, cache=self.cache)
        result = outcome.results[JOB]
        assert result.status == "success", result.error
        self.last_wheel = result.wheel
        return result.cached


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


def test_an_unchanged_build_is_a_hit(machine: Machine) -> None:
    machine.tool("gcc", "v1")
    machine.grafts = (machine.tool("libfoo.so.1", "lib v1", machine.lib),)
    assert machine.build() is False
    assert machine.build() is True
    assert machine.refused == []


def test_a_compiler_changed_in_place_refuses_the_hit(machine: Machine) -> None:
    gcc = machine.tool("gcc", "v1")
    assert machine.build() is False
    machine.tool("gcc", "v2 adds -DFLAG=7")  # same path, same PATH: the key is unchanged
    assert machine.build() is False
    assert machine.refused == [(JOB, f"compiler {gcc} changed")]
    assert machine.build() is True  # the rebuild was stored with the new compiler


def test_cc_from_the_environment_is_checked(machine: Machine, tmp_path: Path) -> None:
    elsewhere = tmp_path / "opt"
    elsewhere.mkdir()
    cc = machine.tool("mycc", "v1", elsewhere)
    machine.env["CC"] = f"ccache {cc} -m64"
    assert machine.build() is False
    machine.tool("mycc", "v2", elsewhere)
    assert machine.build() is False
    assert machine.refused == [(JOB, f"compiler {cc} changed")]


def test_a_compiler_appearing_earlier_on_path_refuses_the_hit(
    machine: Machine, tmp_path: Path
) -> None:
    machine.tool("gcc", "v1")
    first = tmp_path / "first"
    first.mkdir()
    machine.env["PATH"] = f"{first}:{machine.bin}"
    assert machine.build() is False
    shadow = machine.tool("gcc", "another gcc", first)
    assert machine.build() is False
    assert machine.refused == [(JOB, f"compiler gcc is now {shadow} (was {machine.bin}/gcc)")]


def test_a_grafted_library_changed_in_place_refuses_the_hit(machine: Machine) -> None:
    lib = machine.tool("libfoo.so.1", "lib v1", machine.lib)
    machine.grafts = (lib,)
    assert machine.build() is False
    old = _libs(machine.last_wheel)
    machine.tool("libfoo.so.1", "lib v2", machine.lib)
    assert machine.build() is False
    assert machine.refused == [(JOB, f"grafted library {lib} changed")]
    assert _libs(machine.last_wheel) != old  # the new wheel carries the new library


def test_a_grafted_library_that_cannot_be_found_is_never_served(
    machine: Machine, tmp_path: Path
) -> None:
    """auditwheel found it somewhere manywheel cannot look again (an RPATH, say): unverifiable,
    so the entry is refused every time, saying why."""
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    machine.grafts = (machine.tool("libbar.so.2", "lib", hidden),)
    assert machine.build() is False
    assert machine.build() is False
    [(job_name, why)] = machine.refused
    assert job_name == JOB
    assert why.startswith("grafted library libbar.so.2 could not be checked: no file of that name")


def test_an_entry_without_a_manifest_is_never_served(machine: Machine) -> None:
    assert machine.build() is False
    [meta_path] = (machine.tmp / "cache").glob("*/*/meta.json")
    meta = json.loads(meta_path.read_text())
    del meta["manifest"]  # as an older manywheel stored it
    meta_path.write_text(json.dumps(meta))
    assert machine.build() is False
    assert machine.refused == [
        (JOB, "it has no manifest of what its build used (stored by an older manywheel)")
    ]


def test_changed_manywheel_code_is_a_miss(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert machine.build() is False
    assert machine.build() is True
    monkeypatch.setattr(code_digest, "manywheel_digest", lambda: "edited code")
    assert machine.build() is False  # a new key: the old wheel is not even looked at
    assert machine.build() is True


def test_an_entry_from_other_code_under_the_same_key_is_refused(
    machine: Machine,
) -> None:
    """The key holds the code's hash; the manifest says it again, and is checked."""
    assert machine.build() is False
    [meta_path] = (machine.tmp / "cache").glob("*/*/meta.json")
    meta = json.loads(meta_path.read_text())
    meta["manifest"][0]["sha256"] = "0" * 64
    meta_path.write_text(json.dumps(meta))
    assert machine.build() is False
    assert machine.refused == [(JOB, "manywheel's code changed")]


def test_in_a_container_the_image_id_stands_for_its_files(machine: Machine) -> None:
    """Host files are no input of a container build: changing them keeps the hit."""
    gcc = machine.tool("gcc", "v1")
    machine.grafts = (machine.tool("libfoo.so.1", "lib v1", machine.lib),)
    assert machine.build("container") is False
    machine.tool("gcc", "v2")
    assert machine.build("container") is True
    [meta_path] = (machine.tmp / "cache").glob("*/*/meta.json")
    checks = json.loads(meta_path.read_text())["manifest"]
    assert [(c["role"], c["how"]) for c in checks] == [("manywheel", "hash"), ("library", "key")]
    assert str(gcc) not in meta_path.read_text()


def _libs(wheel: Path | None) -> list[str]:
    assert wheel is not None
    payload_of(wheel)  # a wheel the fake built
    with zipfile.ZipFile(wheel) as zf:
        return [n for n in zf.namelist() if ".libs/" in n]
