"""The compiler flags a build sees: manywheel's own (the work dir kept out of debug info, for
reproducible wheels) never replace the interpreter's or the user's. setuptools takes a CFLAGS
variable instead of the interpreter's -O3 -DNDEBUG...: manywheel once set CFLAGS and every
extension was built unoptimized."""

from __future__ import annotations

from pathlib import Path

from tests.fast.fakes import FakeBackend, job, plan
from tests.fast.harness import run

JOB = "cp312-manylinux_x86_64"


def build_env(tmp_path: Path, environ: dict[str, str]) -> dict[str, str]:
    backend = FakeBackend(environ=environ)
    outcome = run(tmp_path, plan(job(JOB)), backend, source_date_epoch=1741064768)
    assert outcome.status() == {JOB: "success"}
    (executor,) = backend.opened
    (build,) = [c for c in executor.calls if "--out-dir" in c.argv]
    return build.env


def test_reproducible_builds_leave_cflags_alone(tmp_path: Path) -> None:
    env = build_env(tmp_path, {})
    assert "CFLAGS" not in env
    assert "CXXFLAGS" not in env
    assert env["CPPFLAGS"].startswith("-ffile-prefix-map=/work/")
    assert env["CPPFLAGS"].endswith("=.")
    assert env["SOURCE_DATE_EPOCH"] == "1741064768"


def test_the_users_flags_are_kept_as_given(tmp_path: Path) -> None:
    env = build_env(tmp_path, {"CFLAGS": "-O1", "CPPFLAGS": "-DFOO=1"})
    assert env["CFLAGS"] == "-O1"
    assert env["CPPFLAGS"].startswith("-ffile-prefix-map=/work/")
    assert env["CPPFLAGS"].endswith("=. -DFOO=1")


def remaps(flags: str, sep: str = " ") -> list[str]:
    return [f for f in flags.split(sep) if f.startswith("--remap-path-prefix=")]


def test_rust_paths_are_remapped_in_the_config_joined_variable(tmp_path: Path) -> None:
    """CARGO_BUILD_RUSTFLAGS, which cargo joins with a project's build.rustflags (RUSTFLAGS
    would replace them)."""
    env = build_env(tmp_path, {"HOME": "/home/me"})
    assert "RUSTFLAGS" not in env
    assert "CARGO_ENCODED_RUSTFLAGS" not in env
    cargo_home, work = remaps(env["CARGO_BUILD_RUSTFLAGS"])
    assert cargo_home == "--remap-path-prefix=/home/me/.cargo=/cargo"
    assert work.startswith("--remap-path-prefix=/work/")
    assert work.endswith("=.")


def test_the_users_rust_flags_are_kept_and_extended(tmp_path: Path) -> None:
    env = build_env(tmp_path, {"RUSTFLAGS": "-C target-cpu=x86-64-v2", "CARGO_HOME": "/c"})
    assert env["RUSTFLAGS"].startswith("-C target-cpu=x86-64-v2 --remap-path-prefix=/c=/cargo ")
    assert "CARGO_BUILD_RUSTFLAGS" not in env
    encoded = build_env(tmp_path / "encoded", {"CARGO_ENCODED_RUSTFLAGS": "-C\x1fopt-level=3"})
    flags = encoded["CARGO_ENCODED_RUSTFLAGS"].split("\x1f")
    assert flags[:2] == ["-C", "opt-level=3"]
    assert len(remaps(encoded["CARGO_ENCODED_RUSTFLAGS"], "\x1f")) == 2
    assert "RUSTFLAGS" not in encoded
    assert "CARGO_BUILD_RUSTFLAGS" not in encoded


def test_a_rustc_wrapper_gets_no_remap_flags(tmp_path: Path) -> None:
    """sccache keys on rustc's arguments: a flag naming the job's work dir would make every
    crate miss."""
    env = build_env(tmp_path, {"RUSTC_WRAPPER": "sccache"})
    assert not any(name in env for name in ("RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS"))
    assert env["CPPFLAGS"].startswith("-ffile-prefix-map=/work/")
