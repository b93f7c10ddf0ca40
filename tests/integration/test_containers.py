"""Container builds for real, on podman and docker, with the test images built from Debian
packages (tests/images/build-images.sh): build, repair, test inside the container."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from tests.integration.containers import ENGINES, image_env, manywheel_containers, new_volumes
from tests.projects import CPP_CHECK, make_c_project, make_cpp_project, real_sdist
from tests.running import manywheel
from tests.venvs import fresh_venv

pytestmark = [pytest.mark.integration, pytest.mark.container]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "spam"


def _platform_tags(wheel: Path) -> set[str]:
    _, _, _, tags = parse_wheel_filename(wheel.name)
    return {t.platform for t in tags}


def _installs_and_works(wheel: Path, tmp_path: Path, code: str) -> None:
    venv = tmp_path / "check-venv"
    fresh_venv(sys.executable, venv)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-c", code], check=True, cwd=tmp_path)


@pytest.mark.parametrize("engine", ENGINES)
def test_c_extension_builds_repairs_and_tests_in_a_container(engine: str, tmp_path: Path) -> None:
    project = tmp_path / "spam"
    shutil.copytree(EXAMPLE, project)
    out = tmp_path / "wheelhouse"
    env = image_env(
        engine, tmp_path, MANYWHEEL_BUILD="cp311-manylinux_x86_64 cp312-manylinux_x86_64"
    )
    proc = manywheel("build", str(project), "-o", str(out), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = {next(iter(parse_wheel_filename(w.name)[3])).interpreter: w for w in out.glob("*.whl")}
    assert sorted(wheels) == ["cp311", "cp312"]
    for wheel in wheels.values():
        tags = _platform_tags(wheel)
        assert tags
        assert all(t.startswith("manylinux") and t.endswith("x86_64") for t in tags)
    assert "tested" in proc.stderr
    host = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    if host in wheels:  # the wheel built in the container works on this host too
        _installs_and_works(wheels[host], tmp_path, "import spam; assert spam.hexlify(255) == 'ff'")
    assert manywheel_containers(engine) == []
    assert new_volumes(engine) == []  # the project's and the jobs' volumes were removed too
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_sdist_with_a_system_library_is_repaired_with_it_vendored(
    engine: str, tmp_path: Path
) -> None:
    sdist = real_sdist("PyYAML==6.0.2")
    out = tmp_path / "wheelhouse"
    env = image_env(
        engine,
        tmp_path,
        MANYWHEEL_BUILD="cp312-manylinux_x86_64",
        MANYWHEEL_SYSTEM_PACKAGES="libyaml",
        MANYWHEEL_TEST_COMMAND=(
            'python -c "import yaml; assert yaml.__with_libyaml__; '
            "assert yaml.load('a: 1', Loader=yaml.CLoader) == {'a': 1}\""
        ),
    )
    proc = manywheel("build", str(sdist), "-o", str(out), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert any(n.startswith("yaml/_yaml.") and n.endswith(".so") for n in names)
    assert any(
        n.startswith("pyyaml.libs/libyaml") or n.startswith("PyYAML.libs/libyaml") for n in names
    ), names
    assert manywheel_containers(engine) == []


def test_a_missing_header_names_the_system_package_and_that_package_fixes_it(
    tmp_path: Path,
) -> None:
    """The commonest first failure (the image lacks libffi-devel): the build's error says which
    system-packages entry gives the header, and with it the same build passes, libffi
    vendored."""
    project = make_c_project(
        tmp_path,
        "useffi",
        libraries=("ffi",),
        extra_c="#include <ffi.h>\nsize_t useffi_int_size(void) { return ffi_type_sint32.size; }\n",
    )
    env = image_env(
        "podman",
        tmp_path,
        MANYWHEEL_BUILD="cp312-manylinux_x86_64",
        MANYWHEEL_TEST_COMMAND='python -c "import useffi; assert useffi.answer() == 42"',
    )
    failed = manywheel("build", str(project), "-o", str(tmp_path / "out1"), env=env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    said = " ".join(failed.stdout.split())  # the summary; the console wraps long lines
    assert (
        "cp312-manylinux_x86_64 failed in step build: build failed: the command exited with "
        "status 2. The build did not find ffi.h: the image does not have it. Add "
        'system-packages = ["libffi"] to [tool.manywheel] (or MANYWHEEL_SYSTEM_PACKAGES=libffi): '
        "manywheel installs libffi-devel (yum, dnf), libffi-dev (apt-get, apk) with the image's "
        "own package manager before the builds."
    ) in said
    env["MANYWHEEL_SYSTEM_PACKAGES"] = "libffi"
    proc = manywheel("build", str(project), "-o", str(tmp_path / "out2"), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = (tmp_path / "out2").glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        assert any(n.startswith("useffi.libs/libffi") for n in zf.namelist()), zf.namelist()
    assert manywheel_containers("podman") == []


def test_i686_image_yields_i686_wheels(tmp_path: Path) -> None:
    project = tmp_path / "spam"
    shutil.copytree(EXAMPLE, project)
    out = tmp_path / "wheelhouse"
    env = image_env("podman", tmp_path, MANYWHEEL_BUILD="cp311-manylinux_i686")
    proc = manywheel("build", str(project), "-o", str(out), "--archs", "i686", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("*.whl")
    tags = _platform_tags(wheel)
    assert tags
    assert all(t.startswith("manylinux") and t.endswith("_i686") for t in tags)
    assert manywheel_containers("podman") == []


def test_aarch64_image_yields_aarch64_wheels_through_qemu(tmp_path: Path) -> None:
    project = tmp_path / "spam"
    shutil.copytree(EXAMPLE, project)
    out = tmp_path / "wheelhouse"
    env = image_env(
        "docker",
        tmp_path,
        MANYWHEEL_BUILD="cp311-manylinux_aarch64",
        MANYWHEEL_TEST_REQUIRES="",
        MANYWHEEL_TEST_COMMAND=(
            'python -c "import spam, platform; assert spam.add(1, 2) == 3; '
            "assert platform.machine() == 'aarch64'\""
        ),
    )
    proc = manywheel("build", str(project), "-o", str(out), "--archs", "aarch64", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("*.whl")
    tags = _platform_tags(wheel)
    assert tags
    assert all(t.startswith("manylinux") and t.endswith("_aarch64") for t in tags)
    assert manywheel_containers("docker") == []


def test_aarch64_image_builds_a_cpp_extension_through_qemu(tmp_path: Path) -> None:
    project = make_cpp_project(tmp_path / "src")
    out = tmp_path / "wheelhouse"
    env = image_env(
        "podman",
        tmp_path,
        MANYWHEEL_BUILD="cp311-manylinux_aarch64",  # one build: emulated, a C++ compile is slow
        MANYWHEEL_TEST_REQUIRES="",
        MANYWHEEL_TEST_COMMAND=(
            f"python -c \"{CPP_CHECK}; import platform; assert platform.machine() == 'aarch64'\""
        ),
    )
    proc = manywheel("build", str(project), "-o", str(out), "--archs", "aarch64", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tested" in proc.stderr
    (wheel,) = out.glob("*.whl")
    tags = _platform_tags(wheel)
    assert tags
    assert all(t.startswith("manylinux") and t.endswith("_aarch64") for t in tags)
    assert manywheel_containers("podman") == []


def test_a_second_container_of_the_image_reads_the_kept_probe(tmp_path: Path) -> None:
    """The image's probe (its environment, tools and Python) is kept per image ID and start:
    the next container started the same way reads it instead of probing again."""
    out = tmp_path / "wheelhouse"
    env = image_env("podman", tmp_path, MANYWHEEL_BUILD="cp312-manylinux_x86_64")
    first = manywheel("build", str(EXAMPLE), "-o", str(out), env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    (kept,) = (tmp_path / "image-probes").glob("podman-*.json")
    data = json.loads(kept.read_text())
    assert data["probe"]["python"]  # the runner's Python, as probed
    assert "HOSTNAME" not in data["probe"]["env"]
    # the image's environment, as probed, is what test-environment's $VARs expand from: the
    # mark reaches the test only if the kept probe is read
    data["probe"]["env"]["PROBE_MARK"] = "kept"
    kept.write_text(json.dumps(data))
    env["MANYWHEEL_TEST_ENVIRONMENT"] = 'MARK="$PROBE_MARK"'
    check = "import os, sys; sys.exit(os.environ.get('MARK') != 'kept')"
    env["MANYWHEEL_TEST_COMMAND"] = f'python -c "{check}"'
    second = manywheel("build", str(EXAMPLE), "-o", str(out), env=env)  # tested again
    assert second.returncode == 0, second.stdout + second.stderr
    assert "tested" in second.stderr
    assert manywheel_containers("podman") == []
