"""Rust extensions for real (PyO3 0.17 from Debian's crates, offline): maturin and
setuptools-rust build one ``cp37-abi3`` wheel, repaired, tested in every selected CPython, and
installable on every host CPython; in a podman container too (with the host's RUSTFLAGS). Two
native rebuilds give the same bytes; --toolchain zig links for manylinux2014."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from manywheel.planning.interpreters import discover
from tests.integration.containers import image_env
from tests.projects import DEBIAN_CRATES, make_rust_project, offline_cargo_home
from tests.running import manywheel
from tests.venvs import fresh_venv

pytestmark = pytest.mark.integration

HOST_PYTHONS = {
    f"cp3{i.identifier.version[1]}": i.path
    for i in discover()
    if i.identifier.version >= (3, 8)
    and not i.identifier.free_threaded
    and not i.identifier.is_pypy  # the host's pypy3 is a 3.9 too: CPythons only here
}
SELECTED = 'build = "cp311-* cp312-*"\n'
TEST_COMMAND = "test-command = \"python -c 'import {name}; assert {name}.answer() == 42'\"\n"


def build(
    project: Path, tmp_path: Path, env: dict[str, str], *extra: str
) -> tuple[list[Path], dict[str, dict[str, object]]]:
    """``manywheel build`` (no cache): the wheels it delivered and the report's jobs."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    out, report = tmp_path / "out", tmp_path / "report.json"
    proc = manywheel(
        *("build", str(project), "-o", str(out), "--no-cache", "--report", str(report), *extra),
        env={**env, "TMPDIR": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    jobs = {j["identifier"]: j for j in json.loads(report.read_text())["jobs"]}
    return sorted(out.glob("*.whl")), jobs


def assert_one_abi3_wheel(wheels: list[Path], jobs: dict[str, dict[str, object]]) -> Path:
    """One cp37-abi3 manylinux wheel, built by cp311 and tested by cp311 and cp312."""
    assert len(wheels) == 1, wheels
    (tag,) = parse_wheel_filename(wheels[0].name)[3]
    assert (tag.interpreter, tag.abi) == ("cp37", "abi3")
    assert tag.platform.startswith("manylinux_")  # repaired
    assert tag.platform.endswith("_x86_64")
    assert {name: (j["status"], j["tested"], j["reused_from"]) for name, j in jobs.items()} == {
        "cp311-manylinux_x86_64": ("success", True, None),
        "cp312-manylinux_x86_64": ("success", True, "cp311-manylinux_x86_64"),
    }
    return wheels[0]


def import_in_every_host_cpython(wheel: Path, name: str, where: Path) -> None:
    for tag, python in sorted(HOST_PYTHONS.items()):
        venv = where / f"venv-{tag}"
        fresh_venv(python, venv)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index"]
        subprocess.run([*pip, str(wheel)], check=True)
        code = f"import {name}; assert {name}.answer() == 42"
        subprocess.run([str(venv / "bin" / "python"), "-c", code], check=True, cwd=where)


@pytest.mark.parametrize("backend", ["maturin", "setuptools-rust"])
def test_native_builds_one_abi3_wheel_for_every_cpython(backend: str, tmp_path: Path) -> None:
    assert (DEBIAN_CRATES / "pyo3-0.17.3").is_dir(), "apt-get install librust-pyo3-dev"
    assert {"cp38", "cp311", "cp312", "cp313"} <= set(HOST_PYTHONS)
    name = "rdemo" if backend == "maturin" else "srdemo"
    config = SELECTED + TEST_COMMAND.format(name=name)
    project = make_rust_project(tmp_path / "src", name, backend=backend, manywheel_config=config)
    env = {**os.environ, "CARGO_HOME": str(offline_cargo_home(tmp_path))}
    wheels, jobs = build(project, tmp_path, env)
    wheel = assert_one_abi3_wheel(wheels, jobs)
    import_in_every_host_cpython(wheel, name, tmp_path)


def test_abi3_asked_in_maturins_settings(tmp_path: Path) -> None:
    """``[tool.maturin] features = ["pyo3/abi3-py37"]``, nothing in Cargo.toml."""
    config = SELECTED + TEST_COMMAND.format(name="rdemo")
    project = make_rust_project(tmp_path / "src", abi3="in-maturin", manywheel_config=config)
    assert "abi3" not in (project / "Cargo.toml").read_text()
    env = {**os.environ, "CARGO_HOME": str(offline_cargo_home(tmp_path))}
    assert_one_abi3_wheel(*build(project, tmp_path, env))


@pytest.mark.container
def test_maturin_in_podman_builds_and_tests_the_abi3_wheel(tmp_path: Path) -> None:
    """In the test image (Debian's rustc and cargo, the crates under /usr/share/cargo/registry):
    the project's own .cargo/config.toml names that directory. The host's RUSTFLAGS reach the
    build (``flagged()`` says so)."""
    test = TEST_COMMAND.format(name="rdemo").replace("== 42", "== 42 and rdemo.flagged()")
    selected = 'build = "cp311-manylinux_* cp312-manylinux_*"\n'
    project = make_rust_project(
        tmp_path / "src", manywheel_config=selected + test, offline_crates=DEBIAN_CRATES
    )
    env = image_env("podman", tmp_path, RUSTFLAGS="--cfg manywheel_flag")
    wheels, jobs = build(project, tmp_path, env)
    wheel = assert_one_abi3_wheel(wheels, jobs)
    venv = tmp_path / "venv"
    fresh_venv(HOST_PYTHONS["cp38"], venv)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--no-index", str(wheel)], check=True
    )
    code = "import rdemo; assert rdemo.answer() == 42 and rdemo.flagged()"
    subprocess.run([str(venv / "bin" / "python"), "-c", code], check=True, cwd=tmp_path)


def git_commit(project: Path) -> None:
    """One commit at a fixed date: the run's SOURCE_DATE_EPOCH."""
    date = "2025-03-04T05:06:08+00:00"
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    for argv in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "one"]):
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *argv]
        subprocess.run(git, cwd=project, env=env, check=True)


def test_native_rust_rebuilds_are_byte_identical(tmp_path: Path) -> None:
    """Two runs build in two fresh work dirs; with debug info on, the paths rustc compiles in
    (the project's, cargo's registry sources) are remapped, so the bytes are the same."""
    project = make_rust_project(
        tmp_path / "src",
        "srdemo",
        backend="setuptools-rust",
        manywheel_config='build = "cp311-*"\n',
        cargo_extra="\n[profile.release]\ndebug = true\n",
    )
    git_commit(project)
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["CARGO_HOME"] = str(offline_cargo_home(tmp_path))
    first, _ = build(project, tmp_path / "first", env)
    second, _ = build(project, tmp_path / "second", env)
    assert [w.name for w in first] == [w.name for w in second]
    assert first[0].read_bytes() == second[0].read_bytes()


@pytest.mark.parametrize("backend", ["maturin", "setuptools-rust"])
def test_zig_toolchain_links_rust_for_manylinux2014(backend: str, tmp_path: Path) -> None:
    """maturin's own --zig, or cargo linking with manywheel's zig cc: glibc 2.17 symbols only,
    on this glibc 2.36 host (the host's cc gives a manylinux_2_34 wheel)."""
    name = "rdemo" if backend == "maturin" else "srdemo"
    config = 'build = "cp311-*"\n' + TEST_COMMAND.format(name=name)
    project = make_rust_project(tmp_path / "src", name, backend=backend, manywheel_config=config)
    env = {**os.environ, "CARGO_HOME": str(offline_cargo_home(tmp_path))}
    (wheel,), jobs = build(project, tmp_path, env, "--toolchain", "zig")
    assert {t.platform for t in parse_wheel_filename(wheel.name)[3]} == {
        "manylinux2014_x86_64",
        "manylinux_2_17_x86_64",
    }
    assert [(j["status"], j["tested"]) for j in jobs.values()] == [("success", True)]
