"""Build code is untrusted: publish credentials and CI identity tokens in the environment never
reach it (a masker cannot hide a token printed reversed), unless the user names one.

The project's setup.py, before-build and test command print every variable they see reversed,
and setup.py puts them in the wheel too: a token that reached them would be found."""

from __future__ import annotations

import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.integration.containers import image_env, manywheel_containers
from tests.robustness.helpers import Run
from tests.running import manywheel

pytestmark = pytest.mark.integration

# the credentials a CI job or a release shell typically holds
CREDENTIALS = {
    name: f"leak{i:02d}-DoNotShow-{name.lower()}-7f3a"
    for i, name in enumerate(
        [
            "TWINE_USERNAME",
            "TWINE_PASSWORD",
            "UV_PUBLISH_TOKEN",
            "UV_PUBLISH_PASSWORD",
            "PYPI_API_TOKEN",
            "MANYWHEEL_TOKEN",
            "MANYWHEEL_PASSWORD",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "ACTIONS_RUNTIME_TOKEN",
            "GITHUB_TOKEN",
            "CI_JOB_TOKEN",
            "CI_JOB_JWT_V2",
            "PYPI_ID_TOKEN",
        ]
    )
}
CANARY = {"LEAK_CANARY": "canary-AnOrdinaryValue-5e1"}  # proves the leaks would be seen
WITHHELD_LINE = "not passed to build code (credentials): "

_LEAK = """\
import os, sys
# what untrusted build code could do: show every value, in a form no masker recognises
seen = {k: v[::-1] for k, v in os.environ.items()}
print(sys.argv[1], "sees (reversed):", seen)
"""
_SETUP = """\
import os, sys
from setuptools import Extension, setup

seen = {k: v[::-1] for k, v in os.environ.items()}
print("setup.py sees (reversed):", seen, file=sys.stderr)
with open("envdump.py", "w") as fh:
    fh.write(f"SEEN = {seen!r}\\n")
setup(ext_modules=[Extension("demo", ["demo.c"])], py_modules=["envdump"])
"""
_C = """\
#include <Python.h>
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "demo", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_demo(void) { return PyModule_Create(&module); }
"""


def leaky_project(root: Path, manywheel_config: str = "") -> Path:
    project = root / "demo"
    project.mkdir()
    (project / "demo.c").write_text(_C)
    (project / "setup.py").write_text(_SETUP)
    (project / "leak.py").write_text(_LEAK)
    (project / "pyproject.toml").write_text(
        textwrap.dedent("""\
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "demo"
        version = "0.1.0"

        [tool.manywheel]
        before-build = "python {project}/leak.py before-build"
        test-command = "python {project}/leak.py test-command"
        """)
        + textwrap.dedent(manywheel_config)
    )
    return project


def build_args(project: Path, out: Path, report: Path) -> list[str]:
    args = ["build", str(project), "-o", str(out), "--report", str(report)]
    return [*args, "--only", "cp312-manylinux_x86_64", "-v"]


def wheel_text(out: Path) -> str:
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return "\n".join(zf.read(n).decode(errors="replace") for n in zf.namelist())


def written(stdout: str, stderr: str, logs: Path, report: Path) -> str:
    """Everything the run showed or wrote but the wheel."""
    texts = [stdout, stderr, report.read_text()]
    texts += [p.read_text(errors="replace") for p in logs.rglob("*") if p.is_file()]
    return "\n".join(texts)


def assert_withheld(everything: str, values: dict[str, str]) -> None:
    for name, value in values.items():
        assert value not in everything, name
        assert value[::-1] not in everything, f"{name} (reversed)"


def said_withheld(stderr: str) -> set[str]:
    """The names on the run's one line about credentials kept from build code."""
    (line,) = [ln for ln in stderr.splitlines() if WITHHELD_LINE in ln]
    assert line.endswith("; to pass one, name it in environment-pass")
    return set(line.split(WITHHELD_LINE)[1].split(";")[0].split(", "))


def test_credentials_never_reach_native_build_code(tmp_path: Path) -> None:
    logs, report = tmp_path / "logs", tmp_path / "report.json"
    run = Run(tmp_path, MANYWHEEL_LOG_DIR=str(logs), **CREDENTIALS, **CANARY)
    proc = run(*build_args(leaky_project(tmp_path), run.out, report))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    everything = written(proc.stdout, proc.stderr, logs, report)
    canary = CANARY["LEAK_CANARY"][::-1]
    assert "before-build sees (reversed)" in everything
    assert "test-command sees (reversed)" in everything
    assert canary in everything  # an ordinary variable shows up reversed: so would a leak
    assert canary in wheel_text(run.out)
    assert_withheld(everything + wheel_text(run.out), CREDENTIALS)
    assert set(CREDENTIALS) <= said_withheld(proc.stderr)


def test_a_credential_named_on_purpose_reaches_native_build_code_masked(tmp_path: Path) -> None:
    passed, from_pat, kept = "pypi-PassedOnPurpose-31c", "ghp_PatGivenAnotherName-9d0", "tw-x-77e"
    logs, report = tmp_path / "logs", tmp_path / "report.json"
    project = leaky_project(
        tmp_path,
        """\
        environment-pass = ["PYPI_API_TOKEN"]
        environment = { GITHUB_TOKEN = "$GH_PAT" }
        before-test = "echo passed: $PYPI_API_TOKEN, renamed: $GITHUB_TOKEN, kept: [$TWINE_PASSWORD]"
        """,
    )
    env = {"PYPI_API_TOKEN": passed, "GH_PAT": from_pat, "TWINE_PASSWORD": kept}
    run = Run(tmp_path, MANYWHEEL_LOG_DIR=str(logs), **env)
    proc = run(*build_args(project, run.out, report))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    everything = written(proc.stdout, proc.stderr, logs, report)
    assert "passed: ****, renamed: ****, kept: []" in everything
    assert passed not in everything
    assert from_pat not in everything
    assert_withheld(everything + wheel_text(run.out), {"TWINE_PASSWORD": kept})
    assert passed[::-1] in wheel_text(run.out)  # setup.py had it: it was named
    assert "TWINE_PASSWORD" in said_withheld(proc.stderr)
    assert not {"PYPI_API_TOKEN", "GH_PAT", "GITHUB_TOKEN"} & said_withheld(proc.stderr)


@pytest.mark.container
def test_credentials_never_reach_build_code_in_a_container(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    env = image_env("podman", tmp_path, **CREDENTIALS, **CANARY)
    # named in environment-pass: forwarded, and masked where it is shown as it is
    project = leaky_project(
        tmp_path,
        """\
        environment-pass = ["LEAK_CANARY", "UV_PUBLISH_PASSWORD"]
        before-test = "echo passed: $UV_PUBLISH_PASSWORD"
        """,
    )
    out = tmp_path / "wheelhouse"
    proc = manywheel(*build_args(project, out, report), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    everything = written(proc.stdout, proc.stderr, tmp_path / "logs", report)
    assert CANARY["LEAK_CANARY"][::-1] in everything
    assert CANARY["LEAK_CANARY"][::-1] in wheel_text(out)
    assert "passed: ****" in everything
    passed = CREDENTIALS["UV_PUBLISH_PASSWORD"]
    assert passed not in everything
    assert passed[::-1] in wheel_text(out)
    others = {k: v for k, v in CREDENTIALS.items() if k != "UV_PUBLISH_PASSWORD"}
    assert_withheld(everything + wheel_text(out), others)
    assert set(others) <= said_withheld(proc.stderr)
    assert "UV_PUBLISH_PASSWORD" not in said_withheld(proc.stderr)
    assert manywheel_containers("podman") == []
