"""Which user commands run pip: the venv they run in then gets pip (uv makes venvs without)."""

from __future__ import annotations

import pytest

from manywheel.steps.venv import runs_pip


@pytest.mark.parametrize(
    "command",
    [
        "pip install cython",
        "python -m pip install -r requirements.txt",
        "PIP_CONSTRAINT= pip install PyYAML",
        "pip3 install numpy",
        "cd {project} && pip install -e .",
    ],
)
def test_commands_that_run_pip(command: str) -> None:
    assert runs_pip("", command)


@pytest.mark.parametrize(
    "command",
    [
        "",
        "pytest {project}/tests",
        "pipx run nox",
        "pip-audit",
        "echo pip.conf",
        "uv pip install x",
    ],
)
def test_commands_that_do_not(command: str) -> None:
    assert not runs_pip(command)
