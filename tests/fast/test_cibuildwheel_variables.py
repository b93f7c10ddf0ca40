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


def test_auditwheel_arch_is_the_jobs_where_the_image_does_not_set_it(tmp_path: Path) -> None:
    """pypa's images set AUDITWHEEL_ARCH, and cibuildwheel settings build on it
    (pybase64's AUDITWHEEL_PLAT = "manylinux2014_${AUDITWHEEL_ARCH}"): a host or an image
    without it gets the job's arch; an image's own value stands."""
    setting = (("AUDITWHEEL_PLAT", "manylinux2014_${AUDITWHEEL_ARCH}"),)
    for environ, arch in (({}, "x86_64"), ({"AUDITWHEEL_ARCH": "theirs"}, "theirs")):
        backend = FakeBackend(environ=environ)
        outcome = run(tmp_path / arch, plan(job(IDENT, environment=setting)), backend)
        assert outcome.results[IDENT].status == "success"
        (executor,) = backend.opened
        build = next(c.env for c in executor.calls if c.argv[1:3] == ("build", "--wheel"))
        assert build["AUDITWHEEL_ARCH"] == arch
        assert build["AUDITWHEEL_PLAT"] == f"manylinux2014_{arch}"


def test_the_commands_run_where_cibuildwheel_runs_them(tmp_path: Path) -> None:
    """In the project copy, as cibuildwheel's container commands do (its container's working
    directory is /project): before-build, the build, the repair (pybase64's second repair
    command runs "python3.14 tools/embed_sbom.py {dest_dir}") and before-test."""
    backend = FakeBackend()
    the_job = job(
        IDENT,
        before_build="echo build",
        repair_wheel_command="auditwheel repair -w {dest_dir} {wheel}",
        before_test="echo test",
    )
    outcome = run(tmp_path, plan(the_job), backend)
    assert outcome.results[IDENT].status == "success"
    (executor,) = backend.opened
    shells = {c.argv[2]: c.cwd for c in executor.calls if c.argv[:2] == ("sh", "-c")}
    project = shells["echo build"]
    assert project is not None
    assert project.parts[-2:] == ("src", "demo")  # the job's copy
    repair = next(cwd for command, cwd in shells.items() if "auditwheel repair" in command)
    assert repair == shells["echo test"] == project
    build = next(c.cwd for c in executor.calls if c.argv[1:3] == ("build", "--wheel"))
    assert build == project
