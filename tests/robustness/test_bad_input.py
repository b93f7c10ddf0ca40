"""Bad input: every mistake gets one clear paragraph naming what and where, and a non-zero exit."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from tests.projects import make_c_project
from tests.robustness.helpers import Run, leftovers, tree_digest
from tests.running import error_line

pytestmark = pytest.mark.integration

BAD_CONFIGS = [
    ("[tool.manywheel\n", 2, "pyproject.toml is not valid TOML"),
    (
        "[tool.manywheel]\njobs = 'two'\n",
        2,
        "tool.manywheel.jobs: 'two' is not valid; expected a whole number",
    ),
    (
        "[tool.manywheel]\nallow-empty = 3\n",
        2,
        "tool.manywheel.allow-empty: 3 is not valid; expected true or false",
    ),
    ("[tool.manywheel]\ntest-requires = {a = 1}\n", 2, "tool.manywheel.test-requires"),
    ("[tool.manywheel]\nenvironment = 5\n", 2, "tool.manywheel.environment: 5 is not valid"),
    (
        "[tool.manywheel]\nbuild-verbosity = 9\n",
        2,
        "tool.manywheel.build-verbosity: 9 is not valid; expected a whole number from -3 to 3",
    ),
    (
        "[tool.manywheel]\nplatform = 'vm'\n",
        2,
        "tool.manywheel.platform: 'vm' is not valid; expected one of 'native', 'docker', 'podman', 'auto'",
    ),
    ("[tool.manywheel]\nskipp = 'cp38-*'\n", 2, "unknown option 'skipp'. Did you mean 'skip'?"),
    ("[tool.manywheel]\nbuild = ''\n", 2, "the build selector is empty"),
    (
        "[tool.manywheel]\nbuild = 'cp312-*'\nskip = 'cp312-*'\n",
        3,
        "nothing to build: no identifier is selected",
    ),
    (
        "[tool.manywheel]\ntest-command = 'pytest \"unbalanced'\n",
        2,
        "cannot be parsed as a shell command (No closing quotation)",
    ),
    ("[tool.manywheel]\noverrides = 'x'\n", 2, "overrides must be an array of tables"),
    (
        "[tool.manywheel]\narchs = 'aarch64'\n",
        2,
        "the native backend builds only for this machine's arch (x86_64), not aarch64",
    ),
    (
        "[tool.manywheel]\nmanylinux-x86_64-image = 'manylinux_2_99'\nplatform = 'docker'\n",
        2,
        "unknown image name 'manylinux_2_99'",
    ),
]


@pytest.mark.parametrize(("config", "code", "expected"), BAD_CONFIGS)
def test_bad_configuration(tmp_path: Path, config: str, code: int, expected: str) -> None:
    project = make_c_project(tmp_path)
    text = (project / "pyproject.toml").read_text().split("[tool.manywheel]")[0]
    (project / "pyproject.toml").write_text(text + config)
    before = tree_digest(project)
    run = Run(tmp_path)
    proc = run("build", str(project), "-o", str(run.out))
    assert proc.returncode == code, proc.stderr
    assert expected in error_line(proc.stderr)
    assert tree_digest(project) == before
    assert leftovers(run) == []


def test_requires_python_excluding_everything(tmp_path: Path) -> None:
    project = make_c_project(tmp_path, requires_python=">=3.99")
    proc = Run(tmp_path)("build", str(project))
    assert proc.returncode == 3
    assert "requires-python = '>=3.99' (from the project)" in error_line(proc.stderr)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"MANYWHEEL_JOBS": "-3"}, "MANYWHEEL_JOBS: '-3' is not valid"),
        (
            {"MANYWHEEL_BILD": "cp312-*"},
            "environment variable MANYWHEEL_BILD: no such manywheel option. Did you mean 'MANYWHEEL_BUILD'?",
        ),
        (
            {"MANYWHEEL_BUILD": "cp3{12-*"},
            "MANYWHEEL_BUILD: 'cp3{12-*' is not a valid selector pattern",
        ),
        (
            {"MANYWHEEL_FAIL_FAST": "perhaps"},
            "MANYWHEEL_FAIL_FAST: 'perhaps' is not valid; expected true or false",
        ),
    ],
)
def test_bad_environment(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    project = make_c_project(tmp_path)
    proc = Run(tmp_path, **env)("build", str(project))
    assert proc.returncode == 2
    assert expected in error_line(proc.stderr)


def test_bad_paths(tmp_path: Path) -> None:
    run = Run(tmp_path)
    file = tmp_path / "notes.txt"
    file.write_text("hello")
    assert "is a file but not an sdist" in error_line(run("build", str(file)).stderr)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "is not a Python project" in error_line(run("build", str(empty)).stderr)
    corrupt = tmp_path / "demo-1.0.tar.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08 definitely not gzip")
    proc = run("build", str(corrupt))
    assert proc.returncode == 2
    assert "is not a readable sdist" in error_line(proc.stderr)
    evil = tmp_path / "evil-1.0.tar.gz"
    with tarfile.open(evil, "w:gz") as tf:
        info = tarfile.TarInfo("evil-1.0/pyproject.toml")
        tf.addfile(info)
        link = tarfile.TarInfo("evil-1.0/../../escape")
        tf.addfile(link)
    proc = run("build", str(evil))
    assert proc.returncode == 2
    assert "contains the unsafe path" in error_line(proc.stderr)
    assert not (tmp_path / "escape").exists()
    assert leftovers(run) == []


def test_unusable_output_dirs(tmp_path: Path) -> None:
    project = make_c_project(tmp_path)
    run = Run(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    proc = run("build", str(project), "-o", str(blocker / "wheelhouse"))
    assert proc.returncode == 2
    assert "cannot be created" in error_line(proc.stderr)
    # an output dir inside the source tree is allowed, and never copied into the builds
    inside = project / "wheelhouse"
    proc = run("build", str(project), "-o", str(inside), "--only", "cp312-manylinux_x86_64")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(list(inside.glob("*.whl"))) == 1


def test_bad_flags(tmp_path: Path) -> None:
    project = make_c_project(tmp_path)
    run = Run(tmp_path)
    proc = run("build", str(project), "--platform", "vm")
    assert proc.returncode == 2
    assert "invalid choice: 'vm'" in proc.stderr
    proc = run("build", str(project), "--shard", "0/2")
    assert proc.returncode == 2
    assert "'0/2' is not a shard" in error_line(proc.stderr)
