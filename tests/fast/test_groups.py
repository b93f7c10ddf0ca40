"""Jobs are grouped by everything that runs once per group; each group starts once."""

from __future__ import annotations

from pathlib import Path

from manywheel.config.model import Options
from manywheel.planning.plan import group_of
from tests.fast.fakes import Call, FakeBackend, FakeExecutor, job, plan
from tests.fast.harness import run


def before_all_calls(executor: FakeExecutor) -> list[str]:
    return [
        c.argv[-1]
        for c in executor.calls
        if c.argv[:2] == ("sh", "-c") and c.argv[-1].startswith("echo")
    ]


def test_an_override_of_before_all_makes_its_own_group(tmp_path: Path) -> None:
    base = job("cp38-manylinux_x86_64", before_all="echo base")
    override = job("cp39-manylinux_x86_64", before_all="echo cp39")
    backend = FakeBackend()
    # the override's job first: which before-all runs must not depend on job order
    outcome = run(tmp_path, plan(override, base), backend)
    assert outcome.status() == {
        "cp39-manylinux_x86_64": "success",
        "cp38-manylinux_x86_64": "success",
    }
    assert len(backend.opened) == 2
    ran = sorted(call for executor in backend.opened for call in before_all_calls(executor))
    assert ran == ["echo base", "echo cp39"]


def test_before_all_fills_project_and_package_with_its_project_copy(tmp_path: Path) -> None:
    backend = FakeBackend()
    the_job = job("cp312-manylinux_x86_64", before_all="echo {project} {package} ${HOME}")
    outcome = run(tmp_path, plan(the_job), backend)
    assert outcome.status() == {"cp312-manylinux_x86_64": "success"}
    (executor,) = backend.opened
    (call,) = [c for c in executor.calls if c.argv[-1].startswith("echo")]
    project = executor.before_all_dir()
    assert call.argv[-1] == f"echo {project} {project} ${{HOME}}"
    assert call.cwd == project


def test_each_group_runs_before_all_and_system_packages_once(tmp_path: Path) -> None:
    jobs = [
        job(f"cp3{minor}-manylinux_x86_64", before_all="echo once", system_packages=("libffi",))
        for minor in (9, 10, 11, 12)
    ]
    backend = FakeBackend()
    outcome = run(tmp_path, plan(*jobs), backend, jobs=4)
    assert set(outcome.status().values()) == {"success"}
    (executor,) = backend.opened
    assert executor.events.count("start") == 1
    assert before_all_calls(executor) == ["echo once"]
    assert sum("libffi" in c.text for c in executor.calls) == 1


def test_system_packages_the_native_backend_does_not_install_are_said_on_the_run(
    tmp_path: Path,
) -> None:
    def native(executor: FakeExecutor) -> None:
        executor.kind = "native"

    backend = FakeBackend(configure=native)
    jobs = plan(job("cp312-manylinux_x86_64", system_packages=("libffi-devel", "zlib-devel")))
    outcome = run(tmp_path, jobs, backend)
    assert outcome.status() == {"cp312-manylinux_x86_64": "success"}
    said = (
        "system-packages are installed in containers only; the native backend does not "
        "install libffi-devel zlib-devel (install them on the host, or build with --platform "
        "podman or docker)"
    )
    assert said in outcome.output
    (executor,) = backend.opened
    assert not [c for c in executor.calls if "libffi" in c.text]


def test_group_keys_cover_what_runs_once() -> None:
    plain = job("cp39-manylinux_x86_64")
    assert group_of(plain) == group_of(job("cp310-manylinux_x86_64"))
    assert group_of(plain) != group_of(job("cp39-manylinux_x86_64", image="other"))
    assert group_of(plain) != group_of(job("cp39-manylinux_i686"))
    for options in (
        {"before_all": "make deps"},
        {"system_packages": ("libyaml",)},
        {"environment_pass": ("TOKEN",)},
    ):
        assert group_of(plain) != group_of(job("cp39-manylinux_x86_64", **options))
    # before-all sees the environment option: a different environment, a different group
    one = job("cp39-manylinux_x86_64", before_all="x", environment=(("A", "1"),))
    two = job("cp310-manylinux_x86_64", before_all="x", environment=(("A", "2"),))
    assert group_of(one) != group_of(two)
    # without before-all the environment is per job, not per group
    assert group_of(job("cp39-manylinux_x86_64", environment=(("A", "1"),))) == group_of(plain)


def test_environment_pass_override_reaches_only_its_group(tmp_path: Path) -> None:
    seen: dict[str, tuple[str, ...]] = {}

    def remember(executor: FakeExecutor, call: Call) -> None:
        seen.setdefault(str(executor.group.environment_pass), executor.group.environment_pass)

    backend = FakeBackend(configure=lambda e: setattr(e, "on_run", remember))
    jobs = [
        job("cp39-manylinux_x86_64"),
        job("cp310-manylinux_x86_64", environment_pass=("TOKEN",)),
    ]
    run(tmp_path, plan(*jobs), backend)
    assert sorted(seen.values()) == [(), ("TOKEN",)]
    assert Options().environment_pass == ()
