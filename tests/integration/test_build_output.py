"""A build frontend that succeeds is not enough: a backend that writes no wheel, or a wheel for
another interpreter, fails the job in step build with the tags it should have had (real native
builds of an in-tree PEP 517 backend that names its wheel's tags itself)."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.running import manywheel

pytestmark = pytest.mark.integration

# A backend that ignores the interpreter running it: its wheel is always tagged cp311-cp311,
# and with WRITE_NOTHING set it returns the name without writing the file.
BACKEND = """\
import base64, hashlib, os, zipfile

TAGS = "cp311-cp311-linux_x86_64"


def _line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (name, digest, len(data))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = "liar-0.1.0-%s.whl" % TAGS
    if os.environ.get("WRITE_NOTHING"):
        return name
    info = "liar-0.1.0.dist-info/"
    files = {
        "liar.py": b"ANSWER = 42\\n",
        info + "METADATA": b"Metadata-Version: 2.1\\nName: liar\\nVersion: 0.1.0\\n",
        info + "WHEEL": (
            "Wheel-Version: 1.0\\nGenerator: liar\\nRoot-Is-Purelib: false\\nTag: %s\\n" % TAGS
        ).encode(),
    }
    record = [_line(n, d) for n, d in files.items()] + [info + "RECORD,,"]
    files[info + "RECORD"] = ("\\n".join(record) + "\\n").encode()
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for member, data in files.items():
            zf.writestr(member, data)
    return name
"""


def make_liar(root: Path, config: str) -> Path:
    project = root / "liar"
    (project / "backend").mkdir(parents=True)
    (project / "backend" / "liar_backend.py").write_text(BACKEND)
    (project / "pyproject.toml").write_text(
        textwrap.dedent("""\
        [build-system]
        requires = []
        build-backend = "liar_backend"
        backend-path = ["backend"]

        [project]
        name = "liar"
        version = "0.1.0"

        [tool.manywheel]
        """)
        + textwrap.dedent(config)
    )
    return project


def build(project: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    report = tmp_path / "report.json"
    out = tmp_path / "wheelhouse"
    proc = manywheel("build", str(project), "-o", str(out), "--report", str(report))
    assert not list(out.glob("*.whl"))
    (job,) = json.loads(report.read_text())["jobs"]
    return proc, job


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('build = "cp312-*"', "CPython 3.12, "),
        ('enable = ["pypy-eol"]\nbuild = "pp39-*"', "PyPy 3.9, "),
    ],
    ids=["cp312", "pp39"],
)
def test_a_wheel_for_another_interpreter_fails_the_build(
    tmp_path: Path, config: str, expected: str
) -> None:
    proc, job = build(make_liar(tmp_path, config), tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (job["status"], job["failed_step"]) == ("failed", "build")
    error = " ".join(job["error"].split())
    assert error.startswith(
        "build produced liar-0.1.0-cp311-cp311-linux_x86_64.whl, a wheel tagged cp311-cp311, "
        f"but this job expects a wheel for {job['identifier']} ({expected}"
    )
    if job["identifier"].startswith("pp39"):
        assert "tagged pp39-pypy39_pp73, or py3-none: the wheel is for another interpreter" in error
    else:
        assert "tagged cp312-cp312, cp3X-abi3 with X <= 12, or py3-none" in error
    assert "failed in step build: build produced liar-0.1.0-cp311-cp311" in " ".join(
        (proc.stdout + proc.stderr).split()
    )


def test_a_frontend_that_leaves_no_wheel_fails_the_build(tmp_path: Path) -> None:
    # uv and pip check the returned name themselves; build trusts the backend
    config = """\
    build = "cp312-*"
    build-frontend = "build"
    environment = { WRITE_NOTHING = "1" }
    """
    proc, job = build(make_liar(tmp_path, config), tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (job["status"], job["failed_step"]) == ("failed", "build")
    error = " ".join(job["error"].split())
    assert error.startswith("the build frontend succeeded but left no wheel in ")
    assert "expected a wheel for cp312-manylinux_x86_64 (CPython 3.12, " in error
    assert "tagged cp312-cp312, cp3X-abi3 with X <= 12, or py3-none." in error
    assert os.path.isfile(job["log"])
