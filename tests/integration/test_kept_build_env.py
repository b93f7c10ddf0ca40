"""Kept build environments for real (native, real uv, real setuptools, real ccache): a build
runs in an environment at a stable path that holds exactly what an isolated build would
install, the backend's own requirements included and nothing left from an earlier build; a
second run holding it builds isolated; a backend that cannot be imported is said plainly; in a
container, an image cache dir that cannot be used is said on the run's output."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

import pytest

from manywheel.run.build_slots import usable_cores
from tests.integration.containers import image_env, manywheel_containers
from tests.integration.test_compiler_cache import answer_test, build, native_env
from tests.projects import make_two_file_project, set_answer
from tests.running import manywheel

pytestmark = pytest.mark.integration

# an in-tree backend around setuptools': it asks for `six` when the file `want-six` is in the
# project, and its build_wheel checks that the environment holds six exactly then
_BACKEND = """\
import os
from setuptools import build_meta as _orig
from setuptools.build_meta import *  # noqa: F403

WANTED = os.path.exists("want-six")


def get_requires_for_build_wheel(config_settings=None):
    return _orig.get_requires_for_build_wheel(config_settings) + (["six"] if WANTED else [])


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    try:
        import six  # noqa: F401
        found = True
    except ImportError:
        found = False
    assert found == WANTED, f"six importable: {found}, asked for: {WANTED}"
    return _orig.build_wheel(wheel_directory, config_settings, metadata_directory)
"""


def with_backend(project: Path) -> None:
    (project / "_backend").mkdir()
    (project / "_backend" / "six_backend.py").write_text(_BACKEND)
    text = (project / "pyproject.toml").read_text()
    text = text.replace(
        'build-backend = "setuptools.build_meta"',
        'build-backend = "six_backend"\nbackend-path = ["_backend"]',
    )
    (project / "pyproject.toml").write_text(text)


def kept_envs(tmp_path: Path) -> list[Path]:
    root = tmp_path / "cache" / "build-envs" / "native"
    return sorted(p for p in root.iterdir() if p.is_dir())


def last_log(tmp_path: Path) -> str:
    """The newest run's job logs."""
    newest = max((tmp_path / "logs").iterdir(), key=lambda p: p.stat().st_mtime_ns)
    return "".join(p.read_text() for p in sorted(newest.rglob("*.log")))


def has_six(env: Path) -> bool:
    return any(env.glob("lib/python3*/site-packages/six.py"))


def test_the_kept_environment_holds_what_the_backend_asks_for_and_nothing_left(
    tmp_path: Path,
) -> None:
    project = make_two_file_project(tmp_path)
    with_backend(project)
    (project / "want-six").write_text("")
    env = native_env(tmp_path)
    log = build(project, tmp_path, env, 42)
    assert "get_requires_for_build_wheel" in log
    assert "--no-build-isolation" in log
    (kept,) = kept_envs(tmp_path)
    assert kept.name.startswith("cp312-manylinux_x86_64-")
    assert has_six(kept)

    # the backend asks for six no more: the next build, in the same environment, lacks it
    # (its build_wheel asserts so), as an isolated build would
    (project / "want-six").unlink()
    set_answer(project, 43)
    log = build(project, tmp_path, env, 43)
    assert kept_envs(tmp_path) == [kept]
    assert not has_six(kept)
    if usable_cores() >= 2:  # a lone build does not wait for the hook: it started with six,
        # failed its assertion, and was built again once the hook said six was not wanted
        assert "_in_process.py get_requires_for_build_wheel" in log.split("beside the build:")[1]
        assert "environment held ['six']: synced, and built again in the hook's copy" in log

    # the hook answered in the environment as it was before that sync: asked once more in
    # this one, its answer is then kept with what it read, and given without asking it while
    # that is as it was (an edited C source is not among it; the environment, with the test
    # command's answer in it, is)
    set_answer(project, 44)
    build(project, tmp_path, env, 44)
    assert "get_requires_for_build_wheel" in last_log(tmp_path)
    set_answer(project, 44, padding=1)
    build(project, tmp_path, env, 44)
    log = last_log(tmp_path)
    assert "get_requires_for_build_wheel" not in log
    assert "the backend's hook is not asked again: what it read last time (" in log
    (project / "want-six").write_text("")  # what the backend looks for: asked, and six kept
    set_answer(project, 44, padding=2)
    build(project, tmp_path, env, 44)
    assert "the backend's hook is asked: . lists other names" in last_log(tmp_path)
    assert has_six(kept)


def test_a_setup_requires_that_repeats_the_build_system_is_met_without_a_sync(
    tmp_path: Path,
) -> None:
    """setuptools' hook answers with setup_requires, which here repeats [build-system] (as
    lz4's does): what the new environment holds meets it, so the wheel is built once, with no
    resolution at the index, sync or second build, as an isolated build installs nothing more."""
    project = make_two_file_project(tmp_path)
    (project / "setup.py").write_text(
        'from setuptools import setup\n\nsetup(setup_requires=["setuptools>=61"])\n'
    )
    log = build(project, tmp_path, native_env(tmp_path), 42)
    assert "get_requires_for_build_wheel" in log
    assert "beyond [build-system]" not in log
    assert " pip compile " not in log
    assert " pip sync " not in log
    assert sum(" build --wheel " in line for line in log.splitlines() if "$ " in line) == 1
    (kept,) = kept_envs(tmp_path)
    assert json.loads((kept / "manywheel-env.json").read_text())["extra"] == []


def test_a_kept_environment_another_run_holds_is_not_touched(tmp_path: Path) -> None:
    project = make_two_file_project(tmp_path)
    env = native_env(tmp_path)
    build(project, tmp_path, env, 42)
    (kept,) = kept_envs(tmp_path)
    before = sorted(str(p.relative_to(kept)) for p in kept.rglob("*"))

    set_answer(project, 43)
    fd = os.open(f"{kept}.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a concurrent run holds it
        env = {**env, "MANYWHEEL_TEST_COMMAND": answer_test(43)}
        proc = manywheel("build", str(project), "-o", str(tmp_path / "out"), env=env)
    finally:
        os.close(fd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    said = f"the kept build environment {kept.name} is in use by another run"
    assert f"cp312-manylinux_x86_64: {said}" in proc.stderr  # the run's progress lines
    log = "".join(p.read_text() for p in sorted((tmp_path / "logs").rglob("*.log")))
    assert said in log
    (command,) = [line for line in log.splitlines() if "uv build --wheel " in line][-1:]
    assert "--no-build-isolation" not in command
    assert str(kept) not in command
    assert sorted(str(p.relative_to(kept)) for p in kept.rglob("*")) == before


def test_a_backend_that_cannot_be_imported_is_said_plainly(tmp_path: Path) -> None:
    project = make_two_file_project(tmp_path)
    text = (project / "pyproject.toml").read_text()
    text = text.replace('"setuptools.build_meta"', '"no_such_backend"')
    (project / "pyproject.toml").write_text(text)
    proc = manywheel("build", str(project), "-o", str(tmp_path / "out"), env=native_env(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    said = " ".join((proc.stdout + proc.stderr).split())
    expected = (
        "the build backend 'no_such_backend' cannot be imported in the build environment "
        "(Cannot import 'no_such_backend'). Check [build-system] in pyproject.toml: 'requires' "
        "must name the package that provides 'build-backend'."
    )
    assert expected in said, said
    assert "Traceback" not in proc.stdout.split("\n", 2)[0]  # the backend's own, in its log


@pytest.mark.container
def test_podman_an_unusable_image_cache_dir_is_said_on_the_run_output(tmp_path: Path) -> None:
    """A file where the image's cache dir (uv's cache, the kept build environments) should be:
    the build goes on, isolated, with uv's cache in the container, and says so once on the
    run's output, not only in the job's log."""
    project = make_two_file_project(tmp_path)
    (tmp_path / "image-caches").write_text("not a directory")
    env = image_env(
        "podman",
        tmp_path,
        MANYWHEEL_BUILD="cp311-manylinux_x86_64 cp312-manylinux_x86_64",
        MANYWHEEL_TEST_COMMAND=answer_test(42),
    )
    proc = manywheel("build", str(project), "-o", str(tmp_path / "out"), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "kept build environments off" in line]
    assert len(lines) == 1, proc.stderr  # said once, not once per job
    said = " ".join(lines[0].split())
    assert (
        "uv's cache and the kept build environments off: cannot create "
        f"{tmp_path / 'image-caches'}/podman-"
    ) in said
    log = "".join(p.read_text() for p in sorted((tmp_path / "logs").rglob("*.log")))
    builds = [line for line in log.splitlines() if "uv build --wheel " in line]
    assert len(builds) == 2
    assert all("--no-build-isolation" not in command for command in builds)
    assert len(list((tmp_path / "out").glob("*.whl"))) == 2
    assert manywheel_containers("podman") == []


# an in-tree backend around setuptools' that writes down the config settings each hook got
_RECORDING_BACKEND = """\
import json
import os
from setuptools import build_meta as _orig
from setuptools.build_meta import *  # noqa: F403


def _record(hook, config_settings):
    path = os.path.join(os.environ["SETTINGS_RECORD"], hook + ".json")
    with open(path, "w") as fh:
        json.dump(config_settings, fh)


def get_requires_for_build_wheel(config_settings=None):
    _record("get_requires_for_build_wheel", config_settings)
    return _orig.get_requires_for_build_wheel()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _record("build_wheel", config_settings)
    return _orig.build_wheel(wheel_directory, None, metadata_directory)
"""


def test_a_setting_given_twice_reaches_both_hooks_as_a_list(tmp_path: Path) -> None:
    # Pillow's "raqm=enable raqm=vendor": the frontend passes a list to build_wheel, and the
    # hook asked beside it gets the same list (it got the last value alone)
    project = make_two_file_project(tmp_path)
    with_backend(project)
    (project / "_backend" / "six_backend.py").write_text(_RECORDING_BACKEND)
    record = tmp_path / "record"
    record.mkdir()
    env = native_env(
        tmp_path,
        MANYWHEEL_CONFIG_SETTINGS="mw-twice=enable mw-twice=vendor mw-once=1",
        MANYWHEEL_ENVIRONMENT_PASS="SETTINGS_RECORD",
        SETTINGS_RECORD=str(record),
    )
    build(project, tmp_path, env, 42)
    for hook in ("get_requires_for_build_wheel", "build_wheel"):
        got = json.loads((record / f"{hook}.json").read_text())
        assert {k: got[k] for k in ("mw-twice", "mw-once")} == {
            "mw-twice": ["enable", "vendor"],
            "mw-once": "1",
        }, hook
