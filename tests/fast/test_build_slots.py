"""A build that runs alone gets the idle cores (MAKEFLAGS, CMAKE_BUILD_PARALLEL_LEVEL, and the
setuptools plugin that builds extensions at a time when safe); builds side by side share them;
the user's own settings win, and none of it reaches the cache key."""

from __future__ import annotations

import threading
import time
from pathlib import Path, PurePosixPath

import pytest

from manywheel.caching.wheel_cache import WheelCache
from manywheel.config.model import DEFAULT_REPAIR_COMMAND, BuildFrontend
from manywheel.planning.build_system import BuildSystem
from manywheel.planning.plan import Job
from manywheel.steps.setuptools_plugin import ENTRY_POINTS
from tests.fast.fakes import Call, FakeBackend, FakeExecutor, job, plan
from tests.fast.harness import run

VARIABLES = (
    "MAKEFLAGS",
    "CMAKE_BUILD_PARALLEL_LEVEL",
    "MANYWHEEL_BUILD_EXT_JOBS",
    "PYTHONPATH",
    "DIST_EXTRA_CONFIG",
)


def is_build(call: Call) -> bool:
    return "build" in call.argv and "--out-dir" in call.argv


def builds(executor: FakeExecutor) -> dict[str, Call]:
    """Each job's build command, by the job's identifier (its out dir names it)."""
    out = {}
    for call in executor.calls:
        if is_build(call):
            out[PurePosixPath(call.out_dir).parent.name.rsplit("-", 1)[0]] = call
    return out


def parallelism(call: Call) -> dict[str, str]:
    return {name: call.env[name] for name in VARIABLES if name in call.env}


def test_a_lone_build_gets_every_core(tmp_path: Path) -> None:
    backend = FakeBackend()
    the_job = job(before_build="make vendored-lib")
    outcome = run(tmp_path, plan(the_job), backend, jobs=1, cores=4)
    assert outcome.status() == {the_job.name: "success"}
    (executor,) = backend.opened
    build = builds(executor)[the_job.name]
    # setuptools' parallel build_ext through the plugin, which checks that it is safe; not
    # DIST_EXTRA_CONFIG: extensions that share a source file race on its object
    plugin = executor.workdirs[0] / "setuptools-plugin"
    assert parallelism(build) == {
        "MAKEFLAGS": "-j4",
        "CMAKE_BUILD_PARALLEL_LEVEL": "4",
        "MANYWHEEL_BUILD_EXT_JOBS": f"4:{plugin}/cores",  # up to 4, as many as the file says
        "PYTHONPATH": str(plugin),
    }
    assert executor.files[plugin / "cores"] == b"4\n"
    entry_points = plugin / "manywheel_setuptools_plugin-1.dist-info" / "entry_points.txt"
    assert executor.files[entry_points].decode() == ENTRY_POINTS
    assert b"def finalize(dist" in executor.files[plugin / "manywheel_setuptools_plugin.py"]
    # only the build command: before-build runs as it did
    (before,) = [c for c in executor.calls if "make vendored-lib" in c.text]
    assert parallelism(before) == {}
    log = outcome.results[the_job.name].log
    assert log is not None
    assert "[manywheel] 4 cores for this build" in log.read_text()


def test_one_core_sets_nothing(tmp_path: Path) -> None:
    backend = FakeBackend()
    outcome = run(tmp_path, plan(job()), backend, jobs=1, cores=1)
    assert set(outcome.status().values()) == {"success"}
    assert [parallelism(c) for c in builds(backend.opened[0]).values()] == [{}]


def test_builds_side_by_side_share_the_cores(tmp_path: Path) -> None:
    both_building = threading.Barrier(2, timeout=30)

    def meet(executor: FakeExecutor, call: Call) -> int | None:
        if is_build(call):
            both_building.wait()  # each build runs until the other one runs too
        return None

    backend = FakeBackend(configure=lambda e: setattr(e, "on_run", meet))
    the_jobs = [job("cp311-manylinux_x86_64"), job("cp312-manylinux_x86_64")]
    outcome = run(tmp_path, plan(*the_jobs), backend, jobs=2, cores=2)
    assert set(outcome.status().values()) == {"success"}
    shares = sorted(parallelism(c).get("MAKEFLAGS", "") for c in builds(backend.opened[0]).values())
    # the first to start was alone and got both cores; the second started beside it: one core,
    # so nothing set (each tool's own default, as before)
    assert shares == ["", "-j2"]


def test_a_build_takes_the_cores_another_gives_back(tmp_path: Path) -> None:
    # cp311 and cp312 build side by side on 2 cores: one each. When cp312's build ends, the
    # file cp311's setuptools plugin reads says 2, while cp311 still builds
    both_building = threading.Barrier(2, timeout=30)
    read_while_both = threading.Event()  # cp312's build ends only after cp311 read its share
    seen: dict[str, list[bytes]] = {}

    def cores_file(call: Call) -> PurePosixPath:
        return PurePosixPath(call.env["MANYWHEEL_BUILD_EXT_JOBS"].split(":", 1)[1])

    def meet(executor: FakeExecutor, call: Call) -> int | None:
        if not is_build(call):
            return None
        both_building.wait()
        if "cp311" in str(cores_file(call)):
            path = cores_file(call)
            seen["while both build"] = [executor.files[path]]
            read_while_both.set()
            deadline = time.monotonic() + 10
            while executor.files[path] != b"2\n" and time.monotonic() < deadline:
                time.sleep(0.01)
            seen["after cp312's build"] = [executor.files[path]]
        else:
            read_while_both.wait(30)
        return None

    backend = FakeBackend(configure=lambda e: setattr(e, "on_run", meet))
    the_jobs = [job("cp311-manylinux_x86_64"), job("cp312-manylinux_x86_64")]
    outcome = run(tmp_path, plan(*the_jobs), backend, jobs=2, cores=2)
    assert set(outcome.status().values()) == {"success"}
    assert seen == {"while both build": [b"1\n"], "after cp312's build": [b"2\n"]}
    log = outcome.results["cp311-manylinux_x86_64"].log
    assert log is not None
    line = (
        "[manywheel] 1 core for this build while other builds run (setuptools takes more, up to 2"
    )
    assert line in log.read_text() or "[manywheel] 2 cores for this build" in log.read_text()


def test_cores_come_back_when_builds_end(tmp_path: Path) -> None:
    backend = FakeBackend()
    tags = ("cp310", "cp311", "cp312")
    the_jobs = [job(f"{tag}-manylinux_x86_64") for tag in tags]
    outcome = run(tmp_path, plan(*the_jobs), backend, jobs=1, cores=2)
    assert set(outcome.status().values()) == {"success"}
    found = builds(backend.opened[0])
    assert [parallelism(found[j.name]).get("MAKEFLAGS") for j in the_jobs] == ["-j2"] * 3


def test_the_users_own_settings_are_kept(tmp_path: Path) -> None:
    # MAKEFLAGS from the environment option (even empty: make stays serial), a setuptools
    # config of the user's from the environment the build sees (passed as it is); the
    # variable left unset is still given
    # PYTHONPATH after the plugin's; MANYWHEEL_BUILD_EXT_JOBS=1 keeps setuptools serial
    backend = FakeBackend(
        environ={"DIST_EXTRA_CONFIG": "/home/me/my.cfg", "MANYWHEEL_BUILD_EXT_JOBS": "1"}
    )
    the_job = job(environment=(("MAKEFLAGS", ""), ("PYTHONPATH", "/home/me/lib")))
    outcome = run(tmp_path, plan(the_job), backend, jobs=1, cores=2)
    assert set(outcome.status().values()) == {"success"}
    (executor,) = backend.opened
    build = builds(executor)[the_job.name]
    assert parallelism(build) == {
        "MAKEFLAGS": "",
        "CMAKE_BUILD_PARALLEL_LEVEL": "2",
        "MANYWHEEL_BUILD_EXT_JOBS": "1",
        "PYTHONPATH": f"{executor.workdirs[0]}/setuptools-plugin:/home/me/lib",
        "DIST_EXTRA_CONFIG": "/home/me/my.cfg",
    }
    assert not any(p.name == "parallel-build.cfg" for p in executor.files)
    assert not any(p.name == "cores" for p in executor.files)  # the user's number holds


@pytest.mark.parametrize(
    ("repair", "environment", "cores", "stored"),
    [
        (DEFAULT_REPAIR_COMMAND, (), 2, "1"),
        # another repair command may deliver the built wheel as it is
        ("auditwheel repair -w {dest_dir} {wheel} && echo repaired", (), 2, None),
        (DEFAULT_REPAIR_COMMAND, (("MANYWHEEL_WHEEL_STORED", "0"),), 2, "0"),  # the user's
        (DEFAULT_REPAIR_COMMAND, (), 1, None),  # one core: no plugin
    ],
)
def test_the_wheel_is_built_uncompressed_when_auditwheel_rewrites_it(
    tmp_path: Path,
    repair: str,
    environment: tuple[tuple[str, str], ...],
    cores: int,
    stored: str | None,
) -> None:
    backend = FakeBackend()
    the_job = job(repair_wheel_command=repair, environment=environment)
    outcome = run(tmp_path, plan(the_job), backend, jobs=1, cores=cores)
    assert outcome.status() == {the_job.name: "success"}
    build = builds(backend.opened[0])[the_job.name]
    assert build.env.get("MANYWHEEL_WHEEL_STORED") == stored
    log = outcome.results[the_job.name].log
    assert log is not None
    said = "MANYWHEEL_WHEEL_STORED=1: setuptools writes the wheel uncompressed, as auditwheel's"
    assert (said in log.read_text()) is (stored == "1")


@pytest.mark.parametrize(
    ("the_job", "system"),
    [
        (job(), BuildSystem(("meson-python",), "mesonpy")),
        # pypa/build and pip empty PYTHONPATH in their isolated environments
        (job(build_frontend=BuildFrontend("build")), None),
        (job(build_frontend=BuildFrontend("pip")), None),
    ],
)
def test_no_setuptools_plugin_where_it_would_not_be_seen(
    tmp_path: Path, the_job: Job, system: BuildSystem | None
) -> None:
    backend = FakeBackend()
    outcome = run(tmp_path, plan(the_job), backend, jobs=1, cores=2, build_system=system)
    assert set(outcome.status().values()) == {"success"}
    (executor,) = backend.opened
    (build,) = [c for c in executor.calls if c.env.get("MAKEFLAGS")]
    assert parallelism(build) == {"MAKEFLAGS": "-j2", "CMAKE_BUILD_PARALLEL_LEVEL": "2"}
    assert not any("setuptools-plugin" in str(path) for path in executor.files)


def test_an_abi3_build_gets_the_cores_the_held_jobs_leave(tmp_path: Path) -> None:
    # pycryptodome: one abi3 wheel, built by cp311 while cp312 waits to reuse it
    backend = FakeBackend(configure=lambda e: setattr(e, "abi3_from", "cp311"))
    the_jobs = [job("cp311-manylinux_x86_64"), job("cp312-manylinux_x86_64")]
    outcome = run(tmp_path, plan(*the_jobs), backend, jobs=2, cores=2, limited_api=True)
    assert set(outcome.status().values()) == {"success"}
    assert outcome.results["cp312-manylinux_x86_64"].reused_from == "cp311-manylinux_x86_64"
    (build,) = builds(backend.opened[0]).values()
    assert parallelism(build)["MAKEFLAGS"] == "-j2"


def test_the_cores_a_build_had_are_not_in_the_cache_key(tmp_path: Path) -> None:
    # a wheel built with 4 cores is the wheel a 1-core run asks for, and the other way round
    cache = WheelCache(tmp_path / "cache", 1 << 30)
    the_job = job()
    for name, cores, built_with in (("a", 4, "-j4"), ("b", 1, None), ("c", 4, None)):
        backend = FakeBackend()
        outcome = run(tmp_path / name, plan(the_job), backend, jobs=1, cores=cores, cache=cache)
        assert outcome.status() == {the_job.name: "success"}
        assert outcome.results[the_job.name].cached is (built_with is None)
        made = [parallelism(c).get("MAKEFLAGS") for e in backend.opened for c in builds(e).values()]
        assert made == ([built_with] if built_with else [])  # a hit: nothing built
