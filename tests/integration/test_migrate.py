"""manywheel migrate on the cibuildwheel configurations of real projects (their sdists from
the package index): the result loads, and plans what cibuildwheel would build."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import tomllib

from manywheel.config.identifiers import Identifier
from manywheel.planning.image_table import pypy_versions, python_versions
from tests.projects import real_sdist
from tests.running import manywheel

pytestmark = pytest.mark.integration

PROJECTS = ["markupsafe==3.0.3", "psutil==7.2.2", "frozenlist==1.8.0", "multidict==7.2.1"]


def real_pyproject(requirement: str, dest: Path) -> Path:
    """The pyproject.toml of a real project's sdist, in a directory of its own."""
    name, version = requirement.split("==")
    sdist = real_sdist(requirement)
    project = dest / name
    project.mkdir(parents=True)
    with tarfile.open(sdist) as tf:
        member = tf.getmember(f"{name}-{version}/pyproject.toml")
        data = tf.extractfile(member)
        assert data is not None
        (project / "pyproject.toml").write_bytes(data.read())
    (project / "setup.py").write_text("")  # a project directory, for both tools
    return project


def supported(identifier: str) -> bool:
    try:
        ident = Identifier.parse(identifier)
    except Exception:
        return False
    if ident.is_pypy:  # the PyPys of the pinned images (images.toml [pypy], as cibuildwheel's)
        return f"{ident.version[0]}.{ident.version[1]}" in pypy_versions(ident.kind, ident.arch)
    version = f"{ident.version[0]}.{ident.version[1]}{'t' if ident.free_threaded else ''}"
    return version in python_versions(None)


def cibuildwheel_plan(project: Path) -> set[str]:
    """The identifiers cibuildwheel (the newest release) would build for the project. Its 4.x
    builds free-threaded CPythons by default and rejects the 3.x group name for them, which
    the real projects still carry: the reference run gets the config without it."""
    reference = project.parent / "cibuildwheel-reference" / project.name
    reference.mkdir(parents=True)
    text = (project / "pyproject.toml").read_text()
    text = re.sub(r'enable\s*=\s*"cpython-freethreading"', "enable = []", text)
    text = re.sub(r'"cpython-freethreading",?\s*', "", text)
    (reference / "pyproject.toml").write_text(text)
    (reference / "setup.py").write_text("")
    project = reference
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cibuildwheel",
            "--print-build-identifiers",
            "--platform",
            "linux",
            str(project),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=project,
    )
    assert proc.returncode == 0, proc.stderr
    return {i for i in proc.stdout.split() if supported(i)}


@pytest.mark.parametrize("requirement", PROJECTS)
def test_migrated_config_plans_what_cibuildwheel_would(requirement: str, tmp_path: Path) -> None:
    original = real_pyproject(requirement, tmp_path / "original")
    reference = cibuildwheel_plan(original)
    assert reference

    proc = manywheel("migrate", str(original))
    assert proc.returncode == 0, proc.stderr
    migrated = tmp_path / "migrated" / original.name
    migrated.mkdir(parents=True)
    text = (original / "pyproject.toml").read_text()
    head = text.split("[tool.cibuildwheel")[0]  # the same project metadata, new tool table
    (migrated / "pyproject.toml").write_text(
        head
        + "\n"
        + "\n".join(line for line in proc.stdout.splitlines() if not line.startswith("#"))
        + "\n"
    )
    shutil.copy(original / "setup.py", migrated / "setup.py")

    plan = manywheel("plan", str(migrated), "--platform", "docker")
    assert plan.returncode == 0, plan.stderr
    assert set(plan.stdout.split()) == reference


def test_write_appends_the_table_and_leaves_the_rest_as_it_was(tmp_path: Path) -> None:
    project = tmp_path / "demo"
    project.mkdir()
    pyproject = project / "pyproject.toml"
    original = (
        '[project]\nname = "demo"  # keep this comment\nversion = "1"\n\n'
        '[tool.cibuildwheel]\nbuild = "cp312-*"\nbefore-all = "yum install -y libffi-devel"\n'
        'test-command = "pytest {project}/tests"\n[tool.cibuildwheel.macos]\narchs = "arm64"\n'
    )
    pyproject.write_text(original)
    pyproject.chmod(0o640)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIBW_")}
    proc = manywheel("migrate", "--write", str(project), env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert f"manywheel: migrate: [tool.manywheel] appended to {pyproject}" in proc.stderr
    assert "not migrated: tool.cibuildwheel.macos (another platform)" in proc.stderr
    text = pyproject.read_text()
    assert text.startswith(original + "\n# not migrated: tool.cibuildwheel.macos")
    assert tomllib.loads(text)["tool"]["manywheel"] == {
        "build": "cp312-*",
        "system-packages": ["libffi-devel"],
        "test-command": "pytest {project}/tests",
    }
    assert stat.S_IMODE(pyproject.stat().st_mode) == 0o640
    assert sorted(p.name for p in project.iterdir()) == ["pyproject.toml"]  # no partial file

    again = manywheel("migrate", "--write", str(project), env=env)
    assert again.returncode == 2
    assert again.stderr.strip() == (
        f"manywheel: error: {pyproject} has a [tool.manywheel] table already; migrate --write "
        "adds one only to a file without. Run 'manywheel migrate' without --write and merge "
        "what it prints."
    )
    assert pyproject.read_text() == text

    inline = tmp_path / "inline"
    inline.mkdir()
    (inline / "pyproject.toml").write_text('tool = { cibuildwheel = { build = "cp312-*" } }\n')
    refused = manywheel("migrate", "--write", str(inline), env=env)
    assert refused.returncode == 2
    assert "would not be valid TOML" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert (inline / "pyproject.toml").read_text() == (
        'tool = { cibuildwheel = { build = "cp312-*" } }\n'
    )
