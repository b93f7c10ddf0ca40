"""musllinux for real, on podman and docker, in the musl test image built from Debian packages
and Debian source packages (tests/images/build-musl-image.sh): every musl CPython in the image
builds, repairs to musllinux_1_2 and tests, and the extension modules need musl, not glibc.
Like pypa's Alpine images, the image compiles C++ (g++) and its CPythons have sqlite3."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from tests.elf import needed, shared_objects
from tests.integration.containers import ENGINES, MUSL_IMAGE, image_env, manywheel_containers
from tests.projects import CPP_CHECK, make_c_project, make_cpp_project, real_sdist
from tests.running import manywheel

pytestmark = [pytest.mark.integration, pytest.mark.container]

# inside the container, in the test step: the interpreter that runs the tests is a musl one
IS_MUSL = "import sysconfig; assert 'linux-musl' in sysconfig.get_config_var('EXT_SUFFIX')"


def _image_pythons(engine: str) -> list[str]:
    """The interpreters the image holds, as wheel interpreter tags (cp311, cp313)."""
    proc = subprocess.run(
        [engine, "run", "--rm", MUSL_IMAGE, "ls", "/opt/python"],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return sorted(entry.split("-")[0] for entry in proc.stdout.split())


def _build(engine: str, source: Path, tmp_path: Path, test_command: str) -> dict[str, Path]:
    out = tmp_path / "wheelhouse"
    env = image_env(
        engine,
        tmp_path,
        MANYWHEEL_MUSLLINUX_X86_64_IMAGE=MUSL_IMAGE,
        MANYWHEEL_BUILD="cp*-musllinux_x86_64",
        MANYWHEEL_TEST_COMMAND=test_command,
    )
    proc = manywheel("build", str(source), "-o", str(out), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tested" in proc.stderr
    assert manywheel_containers(engine) == []
    wheels: dict[str, Path] = {}
    for wheel in out.glob("*.whl"):
        _, _, _, tags = parse_wheel_filename(wheel.name)
        assert {t.platform for t in tags} == {"musllinux_1_2_x86_64"}, wheel.name
        wheels[next(iter(tags)).interpreter] = wheel
    return wheels


def _assert_linked_against_musl(wheel: Path, tmp_path: Path) -> None:
    objects = shared_objects(wheel, tmp_path / "unpacked" / wheel.name)
    assert objects, f"{wheel.name} holds no extension module"
    for member, path in objects.items():
        libs = needed(path)
        assert "libc.musl-x86_64.so.1" in libs, (member, libs)  # musl's, as on Alpine
        assert "libc.so.6" not in libs, (member, libs)  # glibc's


@pytest.mark.parametrize("engine", ENGINES)
def test_c_extension_for_every_musl_cpython(engine: str, tmp_path: Path) -> None:
    project = make_c_project(tmp_path / "src", "demo")
    test = f'python -c "import demo; assert demo.answer() == 42; {IS_MUSL}"'
    wheels = _build(engine, project, tmp_path, test)
    assert sorted(wheels) == _image_pythons(engine)
    assert len(wheels) >= 2
    for wheel in wheels.values():
        _assert_linked_against_musl(wheel, tmp_path)


@pytest.mark.parametrize("engine", ENGINES)
def test_real_sdist_for_every_musl_cpython(engine: str, tmp_path: Path) -> None:
    sdist = real_sdist("markupsafe==3.0.3")
    test = (
        'python -c "from markupsafe import _speedups, escape; '
        f"assert str(escape('<a>')) == '&lt;a&gt;'; {IS_MUSL}\""
    )
    wheels = _build(engine, sdist, tmp_path, test)
    assert sorted(wheels) == _image_pythons(engine)
    for wheel in wheels.values():
        _assert_linked_against_musl(wheel, tmp_path)


def test_cpp_extension_for_every_musl_cpython(tmp_path: Path) -> None:
    project = make_cpp_project(tmp_path / "src")
    wheels = _build("podman", project, tmp_path, f'python -c "{CPP_CHECK}; {IS_MUSL}"')
    assert sorted(wheels) == _image_pythons("podman")
    for wheel in wheels.values():
        _assert_linked_against_musl(wheel, tmp_path)


def test_a_project_whose_tests_use_sqlite3(tmp_path: Path) -> None:
    project = make_c_project(tmp_path / "src", "demo")
    test = (
        "python -c \"import demo, sqlite3; db = sqlite3.connect(':memory:'); "
        "assert db.execute('select ?', (demo.answer(),)).fetchone() == (42,); "
        f'{IS_MUSL}"'
    )
    wheels = _build("podman", project, tmp_path, test)
    assert sorted(wheels) == _image_pythons("podman")


def test_system_packages_in_a_musl_image_try_apk_only(tmp_path: Path) -> None:
    # the test image is Debian-based: its apt-get would install glibc libraries, so it is not
    # used; with no apk the group fails, saying so (pypa's Alpine images have apk)
    project = make_c_project(tmp_path / "src", "demo")
    env = image_env(
        "podman",
        tmp_path,
        MANYWHEEL_MUSLLINUX_X86_64_IMAGE=MUSL_IMAGE,
        MANYWHEEL_BUILD="cp*-musllinux_x86_64",
        MANYWHEEL_SYSTEM_PACKAGES="libffi",
    )
    proc = manywheel("build", str(project), "-o", str(tmp_path / "out"), env=env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "system-packages: no package manager found (tried apk)" in output
    assert "apt-get install" not in output
    assert manywheel_containers("podman") == []
