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
