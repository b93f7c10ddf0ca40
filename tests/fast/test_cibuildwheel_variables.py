"""Build code sees what cibuildwheel sets: CIBUILDWHEEL=1 in every step (before-all too, and
for the environment option to refer to), CIBUILDWHEEL_BUILD_IDENTIFIER in one build's steps,
after the user's environment. On the fake executor (tests/integration/test_native_build.py
runs real commands that read them)."""

from __future__ import annotations

from pathlib import Path

from tests.fast.fakes import FakeBackend, job, plan
from tests.fast.harness import run

IDENT = "cp312-manylinux_x86_64"


def test_every_step_of_a_build_sees_them_and_before_all_sees_cibuildwheel(tmp_path: Path) -> None:
    backend = FakeBackend()
    the_job = job(
        IDENT,
        before_all="echo all",
        before_build="echo build",
        before_test="echo test",
        environment=(("WHO", "x-$CIBUILDWHEEL"), ("CIBUILDWHEEL_BUILD_IDENTIFIER", "mine")),
    )
    outcome = run(tmp_path, plan(the_job), backend)
    assert outcome.results[IDENT].status == "success"
    (executor,) = backend.opened
    shells = {c.argv[2]: c.env for c in executor.calls if c.argv[:2] == ("sh", "-c")}
    assert shells["echo all"]["CIBUILDWHEEL"] == "1"
    # no one build's: the user's own value, from the environment option
    assert shells["echo all"]["CIBUILDWHEEL_BUILD_IDENTIFIER"] == "mine"
    build = next(c.env for c in executor.calls if c.argv[1:3] == ("build", "--wheel"))
    for env in (shells["echo build"], shells["echo test"], build):
        assert env["CIBUILDWHEEL"] == "1"
        assert env["CIBUILDWHEEL_BUILD_IDENTIFIER"] == IDENT  # cibuildwheel's wins
        assert env["WHO"] == "x-1"
