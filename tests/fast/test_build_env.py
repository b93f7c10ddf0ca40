"""The build step's kept build environment, over the fake executor (the real uv, setuptools
and ccache are in tests/integration/test_kept_build_env.py): made once, then resolved,
synced and asked for the backend's requirements before each build, which runs without
isolation in it; held by another run, the build is isolated and the run's output says so."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest
from rich.console import Console

from manywheel.caching.kept_envs import BuildEnvRoot
from manywheel.config.model import BuildFrontend
from manywheel.planning.build_system import BuildSystem
from manywheel.run.reporting import print_summary
from tests.fast.fakes import Call, FakeBackend, FakeExecutor, job, plan
from tests.fast.harness import Outcome, run

SYSTEM = BuildSystem(("setuptools>=61",), "setuptools.build_meta")
SETTINGS = {"record.json", "verify.json"}  # what the hook's recording and check are given


def backend(
    root: BuildEnvRoot,
    asks_for: list[str],
    files: dict[PurePosixPath, bytes] | None = None,
    warned: list[dict[str, object]] | None = None,
    checked: dict[str, object] | None = None,
) -> FakeBackend:
    """Executors keeping environments under ``root``, whose backend hook asks for
    ``asks_for`` (the fake writes pyproject_hooks' output file as the hook would), with the
    backend's ``warned`` warnings; ``files``: what they hold, shared across runs as a kept
    environment is; ``checked``: what the check of the hook's record finds (else nothing)."""

    def hook(executor: FakeExecutor, call: Call) -> int | None:
        if call.hook_control is not None:
            output = call.hook_control / "output.json"
            answer = {"return_val": asks_for, **({"warnings": warned} if warned else {})}
            executor.files[output] = json.dumps(answer).encode()
        if call.argv[2:3] == ("verify",) and checked is not None:
            settings = json.loads(executor.files[PurePosixPath(call.argv[3])])
            executor.files[PurePosixPath(settings["result"])] = json.dumps(checked).encode()
        return None

    def configure(executor: FakeExecutor) -> None:
        executor.kept_envs = root
        executor.on_run = hook
        if files is not None:
            executor.files = files

    return FakeBackend(configure=configure)


def with_hook(root: BuildEnvRoot, hook: Callable[[FakeExecutor, Call], int | None]) -> FakeBackend:
    """``backend(root, [])``, whose executors show each command to ``hook`` first (a status
    it returns is the command's)."""
    asked = backend(root, []).configure
    assert asked is not None

    def configure(executor: FakeExecutor) -> None:
        asked(executor)
        hook_of_backend = executor.on_run
        assert hook_of_backend is not None
        executor.on_run = lambda e, c: hook(e, c) or hook_of_backend(e, c)

    return FakeBackend(configure=configure)


def commands(outcome_dir: Path) -> str:
    """The commands the fake executor ran, one a line, from the job logs."""
    logs = "".join(p.read_text() for p in (outcome_dir / "logs").rglob("*.log"))
    return "\n".join(line for line in logs.splitlines() if line.startswith("fake: "))


def test_a_kept_environment_is_made_once_and_synced_before_each_build(tmp_path: Path) -> None:
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    jobs = plan(job("cp312-manylinux_x86_64"))
    files: dict[PurePosixPath, bytes] = {}
    first = run(tmp_path / "1", jobs, backend(root, ["wheel"], files), build_system=SYSTEM)
    assert first.status() == {"cp312-manylinux_x86_64": "success"}
    log = commands(tmp_path / "1")
    (env,) = {
        line.split()[-1] for line in log.splitlines() if " venv " in line and "/envs/" in line
    }
    assert env.startswith("/envs/cp312-manylinux_x86_64-")
    # resolved and installed in one pass, built while asked; then (the hook wanting more)
    # resolved, synced and built again
    assert log.count(f"pip install --quiet --python {env}/bin/python --requirement") == 1
    assert (
        log.count(f"pip compile --quiet --no-header --no-annotate --python {env}/bin/python") == 1
    )
    assert log.count(f"pip sync --quiet --python {env}/bin/python") == 1
    builds = [line for line in log.splitlines() if " build --wheel " in line]
    assert len(builds) == 2
    assert all(f"--python {env}/bin/python --no-build-isolation" in b for b in builds)

    # the next run finds it made, as it was synced, with what the hook asked for last time:
    # it builds at once while the requirements resolve again, to the same: no sync
    second = run(tmp_path / "2", jobs, backend(root, ["wheel"], files), build_system=SYSTEM)
    assert second.status() == {"cp312-manylinux_x86_64": "success"}
    log = commands(tmp_path / "2")
    assert not [line for line in log.splitlines() if " venv " in line and line.endswith(env)]
    assert (
        log.count(f"pip compile --quiet --no-header --no-annotate --python {env}/bin/python") == 1
    )
    assert f"pip sync --quiet --python {env}/bin/python" not in log
    assert log.count(" build --wheel ") == 1
    assert "--no-build-isolation" in log
    whole = "".join(p.read_text() for p in (tmp_path / "2" / "logs").rglob("*.log"))
    assert "the build requirements, resolved beside the build:" in whole


def _kept_and_run_again(
    tmp_path: Path, change: Callable[[dict[PurePosixPath, bytes], str], None], index: str
) -> tuple[str, str]:
    """A first run makes and syncs the environment; ``change`` alters what it holds (or not),
    then a second run against the package index ``index``: (its commands, its job log)."""
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    jobs = plan(job("cp312-manylinux_x86_64"))
    files: dict[PurePosixPath, bytes] = {}
    assert run(tmp_path / "1", jobs, backend(root, [], files), build_system=SYSTEM).status() == {
        "cp312-manylinux_x86_64": "success"
    }
    (env,) = {p.parent for p in files if p.name == "manywheel-env.json"}
    change(files, str(env))
    again = backend(root, [], files)
    configure = again.configure
    assert configure is not None

    def on_index(executor: FakeExecutor) -> None:
        configure(executor)
        executor.index = index

    outcome = run(tmp_path / "2", jobs, FakeBackend(configure=on_index), build_system=SYSTEM)
    assert outcome.status() == {"cp312-manylinux_x86_64": "success"}
    log = "".join(p.read_text() for p in (tmp_path / "2" / "logs").rglob("*.log"))
    return commands(tmp_path / "2"), log


def _syncs_and_builds(commands_: str) -> list[str]:
    lines = commands_.splitlines()
    return [
        "sync" if " pip sync " in line else "build"
        for line in lines
        if " pip sync " in line or " build --wheel " in line
    ]


def test_requirements_that_resolve_to_other_versions_sync_and_build_again(
    tmp_path: Path,
) -> None:
    """A release since the last sync: the build that started on what the environment held is
    not kept; the environment is synced with the new resolution, the backend asked again in it
    (its answer came from the old one), and the wheel built again."""
    commands_, log = _kept_and_run_again(tmp_path, lambda files, env: None, "index-2")
    assert "the build requirements resolve to other versions than the kept environment" in log
    assert commands_.count(" build --wheel ") == 2
    assert _order(log) == ["build", "hook", "hook", "build"]
    order = _syncs_and_builds(commands_)
    assert order == ["build", "sync", "build"]


def test_a_hook_asking_for_more_in_an_unchanged_environment_syncs_and_builds_again(
    tmp_path: Path,
) -> None:
    """The environment as its last sync left it, its requirements resolving the same, but the
    backend now asks for more (a setup_requires added): synced with that, built again."""
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    jobs = plan(job("cp312-manylinux_x86_64"))
    files: dict[PurePosixPath, bytes] = {}
    first = run(tmp_path / "1", jobs, backend(root, [], files), build_system=SYSTEM)
    assert first.status() == {"cp312-manylinux_x86_64": "success"}
    second = run(tmp_path / "2", jobs, backend(root, ["wheel"], files), build_system=SYSTEM)
    assert second.status() == {"cp312-manylinux_x86_64": "success"}
    log = "".join(p.read_text() for p in (tmp_path / "2" / "logs").rglob("*.log"))
    assert "the backend asks for ['wheel'] beyond [build-system]" in log
    assert _syncs_and_builds(commands(tmp_path / "2")) == ["build", "sync", "build"]
    (marker,) = [data for path, data in files.items() if path.name == "manywheel-env.json"]
    assert json.loads(marker)["extra"] == ["wheel"]


def test_an_environment_changed_since_its_sync_is_synced_before_the_build(
    tmp_path: Path,
) -> None:
    """What it holds is not what it held after its last sync (a build installed into it): it
    is synced first, and built in once."""

    def installed_into(files: dict[PurePosixPath, bytes], env: str) -> None:
        files[PurePosixPath(env) / ".installed"] += b"something-a-build-installed\n"

    commands_, log = _kept_and_run_again(tmp_path, installed_into, "index-1")
    order = _syncs_and_builds(commands_)
    assert order == ["sync", "build"]
    assert "resolved beside the build" not in log


def test_a_held_environment_builds_isolated_and_says_so(tmp_path: Path) -> None:
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    job_ = job("cp312-manylinux_x86_64")
    name = root.name(job_.name, job_.python, SYSTEM.requires, SYSTEM.backend)
    with root.lock(name) as held:  # as another run holds it
        assert held
        outcome = run(tmp_path, plan(job_), backend(root, []), build_system=SYSTEM)
    assert outcome.status() == {"cp312-manylinux_x86_64": "success"}
    said = f"cp312-manylinux_x86_64: the kept build environment {name} is in use by another run"
    assert said in outcome.output
    log = commands(tmp_path)
    assert "--no-build-isolation" not in log
    assert "/envs/" not in log


def test_without_a_build_system_or_kept_environments_builds_are_isolated(
    tmp_path: Path,
) -> None:
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    jobs = plan(job("cp312-manylinux_x86_64"))
    run(tmp_path / "unknown", jobs, backend(root, []), build_system=None)
    run(tmp_path / "none-kept", jobs, FakeBackend(), build_system=SYSTEM)
    for name in ("unknown", "none-kept"):
        log = commands(tmp_path / name)
        assert " build --wheel " in log
        assert "--no-build-isolation" not in log


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("uv", " build --wheel "),
        ("pip", " -m pip wheel --no-deps "),
        ("build", " -m build --wheel "),
    ],
)
def test_the_users_frontend_arguments_go_to_the_frontend_in_the_jobs_own_environment(
    tmp_path: Path, name: str, command: str
) -> None:
    """cibuildwheel's ``pip; args: --no-build-isolation``: the build then uses what
    before-build installed into the job's build venv, never a kept environment."""
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    frontend = BuildFrontend(name, ("--no-build-isolation", "--flag=a b"))
    jobs = plan(job("cp312-manylinux_x86_64", build_frontend=frontend, before_build="true"))
    fake = backend(root, [])
    outcome = run(tmp_path, jobs, fake, build_system=SYSTEM)
    assert outcome.status() == {"cp312-manylinux_x86_64": "success"}
    (executor,) = fake.opened
    (build,) = [c.argv for c in executor.calls if command in " ".join(c.argv)]
    assert "/envs/" not in commands(tmp_path)
    assert any(word.endswith("/buildenv/bin/python") for word in build)
    assert build[-3:-1] == ("--no-build-isolation", "--flag=a b")
    assert build[-1].endswith("/src/demo")


def _order(log: str) -> list[str]:
    """The build and hook commands of a job log, in the order the log has them."""
    kinds = []
    for line in log.splitlines():
        if not line.startswith("fake: "):  # the fake's echo of a command, or a note
            continue
        if " build --wheel " in line:
            kinds.append("build")
        elif "_in_process.py get_requires_for_build_wheel" in line:
            kinds.append("hook")
    return kinds


def test_a_lone_build_does_not_wait_for_the_hook(tmp_path: Path) -> None:
    """With a core to spare, the hook runs in a copy of the project beside the build (its lines
    after the build's); the hook agreeing with what the environment held, one build."""
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    jobs = plan(job("cp312-manylinux_x86_64"))
    outcome = run(tmp_path, jobs, backend(root, []), build_system=SYSTEM, jobs=1, cores=2)
    assert outcome.status() == {"cp312-manylinux_x86_64": "success"}
    log = "".join(p.read_text() for p in (tmp_path / "logs").rglob("*.log"))
    assert _order(log) == ["build", "hook"]
    assert "the backend's hook, beside the build:" in log
    assert "/hook-project" in commands(tmp_path)  # its own copy of the project
    assert not list((tmp_path / "logs").rglob("*.hook.log"))  # folded into the job's log


def test_a_failed_build_s_summary_ends_with_its_own_lines_not_the_hook_s(tmp_path: Path) -> None:
    """The hook's lines go into the job's log after the build's (it ran beside the build);
    when the build fails, the summary's tail of the log ends with the build's last lines (a
    compiler's error), not with what the hook said after it."""
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    fails = with_hook(root, lambda e, c: 1 if " build --wheel " in c.text else None)
    outcome = run(tmp_path, plan(job()), fails, build_system=SYSTEM, cores=2)
    (result,) = outcome.results.values()
    assert result.status == "failed"
    assert result.log is not None
    assert "the backend's hook, beside the build:" in result.log.read_text()
    out = io.StringIO()
    print_summary(Console(file=out, width=400), [result])
    shown = out.getvalue().split("last ", 1)[1].split("full log:", 1)[0].splitlines()
    assert " build --wheel " in shown[-2]
    assert shown[-1].strip().startswith("[manywheel] build: exit 1 after ")
    assert "_in_process.py" not in "\n".join(shown)


def test_a_kept_answer_that_holds_is_given_without_asking_the_hook(tmp_path: Path) -> None:
    """The environment's first build asks the hook (under the recording script); the next
    checks the record in the job's project, with the hook's PATH, and builds without asking."""
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    jobs = plan(job("cp312-manylinux_x86_64"))
    files: dict[PurePosixPath, bytes] = {}
    holds = {"holds": True, "why": "12 inputs", "answer": ["wheel"]}
    for name in ("1", "2"):
        outcome = run(
            tmp_path / name,
            jobs,
            backend(root, ["wheel"], files, checked=holds),
            build_system=SYSTEM,
            cores=2,
        )
        assert outcome.status() == {"cp312-manylinux_x86_64": "success"}
    log = commands(tmp_path / "1")
    assert " verify " not in log  # a new environment: nothing recorded yet
    (asked,) = [line for line in log.splitlines() if "_in_process.py" in line]
    assert "/hook-inputs/hook_inputs.py record " in asked

    whole = "".join(p.read_text() for p in (tmp_path / "2" / "logs").rglob("*.log"))
    assert _order(whole) == ["build"]
    said = "the backend's hook is not asked again: what it read last time (12 inputs)"
    assert said in whole
    assert "its answer was ['wheel']" in whole
    (check,) = [line for line in commands(tmp_path / "2").splitlines() if " verify " in line]
    assert "/hook-inputs/hook_inputs.py verify " in check
    assert "/envs/cp312-manylinux_x86_64-" in check.split()[1]  # the environment's Python


def test_the_hook_s_record_keeps_the_config_settings_by_digest(tmp_path: Path) -> None:
    """The record's key, written into the executor and kept in the cache, names the config
    settings only by a digest: a value may be a credential."""
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    files: dict[PurePosixPath, bytes] = {}
    holds = {"holds": True, "why": "3 inputs", "answer": [], "refused": None}
    keys = set()
    for name, value in (("1", "s3cr3t-a"), ("2", "s3cr3t-a"), ("3", "s3cr3t-b")):
        jobs = plan(job("cp312-manylinux_x86_64", config_settings=(("token", value),)))
        outcome = run(
            tmp_path / name, jobs, backend(root, [], files, checked=holds), build_system=SYSTEM
        )
        assert outcome.status() == {"cp312-manylinux_x86_64": "success"}
        put = {p: d for p, d in files.items() if p.parent.name == "hook-inputs"}
        assert put  # the record's settings, or the check's, went in
        assert not [p for p, d in put.items() if b"s3cr3t" in d]
        keys |= {json.loads(d)["key"] for p, d in put.items() if p.name in SETTINGS}
    assert all(len(k) == 64 for k in keys)
    assert len(keys) == 2  # another value, another key


def test_a_kept_answer_that_does_not_hold_asks_the_hook(tmp_path: Path) -> None:
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    jobs = plan(job("cp312-manylinux_x86_64"))
    files: dict[PurePosixPath, bytes] = {}
    changed = {"holds": False, "why": "setup.py changed", "answer": None}
    for name in ("1", "2"):
        outcome = run(
            tmp_path / name,
            jobs,
            backend(root, [], files, checked=changed),
            build_system=SYSTEM,
            cores=2,
        )
        assert outcome.status() == {"cp312-manylinux_x86_64": "success"}
    whole = "".join(p.read_text() for p in (tmp_path / "2" / "logs").rglob("*.log"))
    assert _order(whole) == ["build", "hook"]
    assert "the backend's hook is asked: setup.py changed" in whole


def test_a_hook_asked_every_time_is_said_on_the_run_s_output(tmp_path: Path) -> None:
    """The record says the hook ran a program last time: asked again, and the run's output
    says why, not only the job's log."""
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    jobs = plan(job("cp312-manylinux_x86_64"))
    files: dict[PurePosixPath, bytes] = {}
    why = "it ran subprocess.Popen: what it reads does not tell what it will answer"
    refused = {"holds": False, "why": why, "answer": None, "refused": why}
    for name in ("1", "2"):
        outcome = run(
            tmp_path / name, jobs, backend(root, [], files, checked=refused), build_system=SYSTEM
        )
        assert outcome.status() == {"cp312-manylinux_x86_64": "success"}
    said = f"cp312-manylinux_x86_64: the backend's hook is asked before every build: {why}"
    assert said in outcome.output
    whole = "".join(p.read_text() for p in (tmp_path / "2" / "logs").rglob("*.log"))
    assert "get_requires_for_build_wheel" in whole


def test_a_hook_asking_for_more_syncs_and_builds_again(tmp_path: Path) -> None:
    """The build started on the environment's guess (nothing beyond [build-system]); the hook
    asks for wheel: the environment is synced with it, and the wheel built again in the hook's
    copy, so that what is kept was built as if the hook had run first."""
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    jobs = plan(job("cp312-manylinux_x86_64"))
    files: dict[PurePosixPath, bytes] = {}
    asks_wheel = backend(root, ["wheel"], files)
    outcome = run(tmp_path, jobs, asks_wheel, build_system=SYSTEM, jobs=1, cores=2)
    assert outcome.status() == {"cp312-manylinux_x86_64": "success"}
    log = "".join(p.read_text() for p in (tmp_path / "logs").rglob("*.log"))
    assert _order(log) == ["build", "hook", "build"]
    assert "the backend asks for ['wheel'] beyond [build-system]" in log
    (made,) = [line for line in commands(tmp_path).splitlines() if "--requirement" in line]
    assert " pip install --quiet --python /envs/" in made
    assert commands(tmp_path).count("pip sync --quiet") == 1  # and the wheel added
    (marker,) = [data for path, data in files.items() if path.name == "manywheel-env.json"]
    assert json.loads(marker)["extra"] == ["wheel"]  # the next build's guess


def test_a_hook_asking_only_for_what_the_environment_meets_keeps_the_wheel(
    tmp_path: Path,
) -> None:
    """The hook asks for requirements the environment's [build-system] pins already meet (lz4's
    setup_requires repeats them): an isolated build would install nothing more, so the wheel
    built beside the hook is kept, with no resolution, sync or second build; the environment
    still holds nothing beyond [build-system]. Asking for more than they meet still syncs."""
    pinned = BuildSystem(("setuptools==80.9.0", "pkgconfig==1.5.5"), "setuptools.build_meta")
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    jobs = plan(job("cp312-manylinux_x86_64"))
    files: dict[PurePosixPath, bytes] = {}
    repeats = backend(root, ["pkgconfig", "setuptools>=40"], files)
    outcome = run(tmp_path / "1", jobs, repeats, build_system=pinned, jobs=1, cores=2)
    assert outcome.status() == {"cp312-manylinux_x86_64": "success"}
    log = "".join(p.read_text() for p in (tmp_path / "1" / "logs").rglob("*.log"))
    assert _order(log) == ["build", "hook"]
    assert "beyond [build-system]" not in log
    assert " pip compile " not in commands(tmp_path / "1")
    assert _syncs_and_builds(commands(tmp_path / "1")) == ["build"]
    (marker,) = [data for path, data in files.items() if path.name == "manywheel-env.json"]
    assert json.loads(marker)["extra"] == []

    newer = backend(root, ["pkgconfig>=2"], files)
    outcome = run(tmp_path / "2", jobs, newer, build_system=pinned, jobs=1, cores=2)
    assert outcome.status() == {"cp312-manylinux_x86_64": "success"}
    log = "".join(p.read_text() for p in (tmp_path / "2" / "logs").rglob("*.log"))
    assert "the backend asks for ['pkgconfig>=2'] beyond [build-system]" in log
    assert _syncs_and_builds(commands(tmp_path / "2")) == ["build", "sync", "build"]


def test_a_failed_build_the_hook_agrees_with_fails(tmp_path: Path) -> None:
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    jobs = plan(job("cp312-manylinux_x86_64"))
    broken = backend(root, [])
    configure = broken.configure
    assert configure is not None

    def failing(executor: FakeExecutor) -> None:
        configure(executor)
        executor.fail_when = {" build --wheel ": 1}

    outcome = run(tmp_path, jobs, FakeBackend(configure=failing), build_system=SYSTEM, cores=2)
    assert outcome.status() == {"cp312-manylinux_x86_64": "failed"}
    log = "".join(p.read_text() for p in (tmp_path / "logs").rglob("*.log"))
    assert _order(log) == ["build", "hook"]  # not built again: the hook asks for nothing new


def test_the_hook_runs_first_without_a_guess(tmp_path: Path) -> None:
    """A new environment for a backend whose hook may ask for anything (scikit-build-core:
    cmake, ninja): the hook first, in the job's copy. With a guess, beside the build, also when
    the build has one core."""
    other = BuildSystem(("scikit-build-core",), "scikit_build_core.build")
    cases = (
        ("other-backend", other, 2, ["hook", "build"]),
        ("one-core", SYSTEM, 1, ["build", "hook"]),
    )
    for name, system, cores, order in cases:
        root = BuildEnvRoot(tmp_path / name / "envs", PurePosixPath("/envs"))
        jobs = plan(job("cp312-manylinux_x86_64"))
        outcome = run(tmp_path / name, jobs, backend(root, []), build_system=system, cores=cores)
        assert outcome.status() == {"cp312-manylinux_x86_64": "success"}
        log = "".join(p.read_text() for p in (tmp_path / name / "logs").rglob("*.log"))
        assert _order(log) == order, name
        assert ("/hook-project" in log) == (order[0] == "build"), name


def test_the_build_venv_is_made_only_where_it_is_used(tmp_path: Path) -> None:
    """A build in a kept environment does not make the build venv; before-build still runs
    in one (as cibuildwheel's does), and an isolated build (environment held) builds with it."""
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    build_venv = "/buildenv"

    def venvs(name: str) -> list[str]:
        log = commands(tmp_path / name)
        return [line for line in log.splitlines() if " venv " in line and build_venv in line]

    run(tmp_path / "kept", plan(job()), backend(root, []), build_system=SYSTEM)
    assert venvs("kept") == []
    assert "--no-build-isolation" in commands(tmp_path / "kept")

    run(
        tmp_path / "before",
        plan(job(before_build="echo hi")),
        backend(root, []),
        build_system=SYSTEM,
    )
    assert len(venvs("before")) == 1
    assert "echo hi" in commands(tmp_path / "before")

    held = job()
    with root.lock(root.name(held.name, held.python, SYSTEM.requires, SYSTEM.backend)):
        run(tmp_path / "held", plan(held), backend(root, []), build_system=SYSTEM)
    (made,) = venvs("held")
    (build,) = [
        line for line in commands(tmp_path / "held").splitlines() if " build --wheel " in line
    ]
    assert f"--python {made.split()[-1]}/bin/python" in build


def test_the_backends_warnings_go_to_the_job_log_not_the_runs_output(
    tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    """pyproject_hooks hands a backend's warnings to Python's warnings (printed on the run's
    output, amid the progress lines): they go to the job's log, with the build's output."""
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    warned = [{"message": "version of None already set", "filename": "v.py", "lineno": 7}]
    outcome = run(tmp_path, plan(job()), backend(root, [], warned=warned), build_system=SYSTEM)
    assert outcome.status() == {"cp312-manylinux_x86_64": "success"}
    logs = "".join(p.read_text() for p in (tmp_path / "logs").rglob("*.log"))
    assert "the backend warned: v.py:7: version of None already set" in logs
    assert "version of None" not in outcome.output
    assert not [w for w in recwarn if "version of None" in str(w.message)]


def run_held_pair(tmp_path: Path, hook: Callable[[FakeExecutor, Call], int | None]) -> Outcome:
    """cp312 and cp313 on 2 cores, with one compile-flag signature (cp313 is held for cp312's
    build), in kept environments; ``hook`` sees each command before the backend's fake does."""
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    return run(
        tmp_path,
        plan(job("cp312-manylinux_x86_64"), job("cp313-manylinux_x86_64")),
        with_hook(root, hook),
        build_system=SYSTEM,
        share_objects=True,
        signature=lambda j: "same flags",
        cores=2,
    )


def test_a_held_build_gets_ready_while_its_warmer_builds(tmp_path: Path) -> None:
    """cp313 waits for cp312's build (same compile flags: it finds cp312's objects in the
    compiler cache); meanwhile it syncs its environment and asks the backend's hook, so that
    its build command starts as soon as cp312's ended. The wait is not in its build time."""
    events: list[str] = []

    def hook(executor: FakeExecutor, call: Call) -> int | None:
        if " build --wheel " in call.text and "/cp312-" in call.text:
            events.append("cp312 build starts")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "cp313 hook" not in events:
                time.sleep(0.01)
            time.sleep(0.3)  # what cp313 does next, it does after the hook
            events.append("cp312 build ends")
        elif "cp313" in call.text and "_in_process.py" in call.text:
            events.append("cp313 hook")
        elif "cp313" in call.text and " pip install " in call.text and "--requirement" in call.text:
            events.append("cp313 sync")
        elif " build --wheel " in call.text and "/cp313-" in call.text:
            events.append("cp313 build starts")
        return None

    outcome = run_held_pair(tmp_path, hook)
    assert set(outcome.status().values()) == {"success"}
    assert events.index("cp313 sync") < events.index("cp312 build ends")
    assert events.index("cp313 hook") < events.index("cp312 build ends")
    assert events.index("cp313 build starts") > events.index("cp312 build ends")
    assert outcome.results["cp313-manylinux_x86_64"].timings["build"] < 0.3


def test_a_new_environment_whose_build_others_wait_for_asks_the_hook_first(
    tmp_path: Path,
) -> None:
    """cp312 fills the compiler cache for cp313: other builds keep the cores busy, so its
    hook runs before its build, in the job's project (not beside it in a copy, where both
    would compile the new environment's modules to bytecode at once). cp313 asks while it
    waits, as before. A lone build asks beside (test_a_lone_build_does_not_wait_for_the_hook)."""
    asked: list[str] = []

    def hook(executor: FakeExecutor, call: Call) -> int | None:
        if "_in_process.py" in call.text and "/cp313-" in call.text:
            asked.append("cp313")
        elif " build --wheel " in call.text and "/cp312-" in call.text:
            # cp313 asks while it waits: a build of cp312 that ended first would let cp313
            # go on unheld, and ask beside its own build (a slow machine's order)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not asked:
                time.sleep(0.01)
        return None

    outcome = run_held_pair(tmp_path, hook)
    assert set(outcome.status().values()) == {"success"}
    for name in ("cp312", "cp313"):
        log = "".join(p.read_text() for p in (tmp_path / "logs").rglob(f"{name}-*.log"))
        assert _order(log) == ["hook", "build"], name
        assert "/hook-project" not in log, name


def test_a_new_environment_has_no_recorded_answer_to_check(tmp_path: Path) -> None:
    """Both environments are made in this run (a cold build): there is no record of the hook's
    answer in them, so neither job starts a Python to check one, the held job (cp313) no more
    than its warmer; each asks the hook once."""
    outcome = run_held_pair(tmp_path, lambda executor, call: None)
    assert set(outcome.status().values()) == {"success"}
    for name in ("cp312", "cp313"):
        log = "".join(p.read_text() for p in (tmp_path / "logs").rglob(f"{name}-*.log"))
        assert "hook_inputs.py verify" not in log, name
        assert _order(log).count("hook") == 1, name


def test_a_held_build_that_finds_its_warmer_done_says_so(tmp_path: Path) -> None:
    """cp313 gets ready more slowly than cp312 builds: its turn comes with nothing left to wait
    for, and its log says whose objects it builds from."""
    cp312_built = threading.Event()

    def hook(executor: FakeExecutor, call: Call) -> int | None:
        if " build --wheel " in call.text and "/cp312-" in call.text:
            cp312_built.set()  # the fake's build ends right after this
        elif "cp313" in call.text and "_in_process.py" in call.text:
            assert cp312_built.wait(30)
            time.sleep(0.3)  # cp312's build step ends meanwhile
        return None

    outcome = run_held_pair(tmp_path, hook)
    assert set(outcome.status().values()) == {"success"}
    log = "".join(p.read_text() for p in (tmp_path / "logs").rglob("cp313-*.log"))
    said = "cp312-manylinux_x86_64 finished building before this build's turn: it compiles"
    assert said in log
    assert "waiting for cp312-manylinux_x86_64" not in log


def test_no_more_than_two_commands_of_a_run_ask_the_package_index_at_once(
    tmp_path: Path,
) -> None:
    """Four new environments, each resolved and installed by one command, side by side: two
    commands at a time ask the index, and the wait for a turn is not in the build step's
    time."""
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/envs"))
    asked = backend(root, []).configure
    assert asked is not None
    lock = threading.Lock()
    asking: list[int] = [0]
    most: list[int] = []

    def index(executor: FakeExecutor, call: Call) -> int | None:
        if (
            " pip compile " in call.text
            or " pip sync " in call.text
            or "--requirement" in call.text
        ):
            with lock:
                asking[0] += 1
                most.append(asking[0])
            time.sleep(0.5)
            with lock:
                asking[0] -= 1
        return None

    def configure(executor: FakeExecutor) -> None:
        asked(executor)
        hook_of_backend = executor.on_run
        executor.on_run = lambda e, c: index(e, c) or hook_of_backend(e, c)

    identifiers = [f"cp3{minor}-manylinux_x86_64" for minor in (10, 11, 12, 13)]
    outcome = run(
        tmp_path,
        plan(*(job(i) for i in identifiers)),
        FakeBackend(configure=configure),
        build_system=SYSTEM,
        jobs=4,
    )
    assert set(outcome.status().values()) == {"success"}
    assert len(most) == 4  # each job: resolved and installed
    assert max(most) == 2
    # each job asks for 0.5 s; the last ones to get a turn waited about as long again (the
    # margin either way is wide: a loaded machine's threads start late)
    assert all(outcome.results[i].timings["build"] < 1.0 for i in identifiers)
