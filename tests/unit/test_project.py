"""Reading the input: a project directory or an sdist, without changing it."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from manywheel.errors import ConfigError
from manywheel.planning.project import load_project


def _sdist(path: Path, files: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"demo-1.0/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def test_directory_with_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nrequires-python = ">=3.10"\n'
    )
    project = load_project(tmp_path)
    assert project.name == "demo"
    assert str(project.requires_python) == ">=3.10"
    assert not project.is_sdist


def test_setup_cfg_python_requires(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text("from setuptools import setup; setup()\n")
    (tmp_path / "setup.cfg").write_text("[options]\npython_requires = >=3.9\n")
    assert str(load_project(tmp_path).requires_python) == ">=3.9"


@pytest.mark.parametrize(
    ("setup_py", "expected"),
    [
        ("from setuptools import setup\nsetup(name='d', python_requires='>=3.10')\n", ">=3.10"),
        (
            "import setuptools\nif __name__ == '__main__':\n"
            "    setuptools.setup(python_requires='>=3.9,<4')\n",
            "<4,>=3.9",
        ),
        ("if '__main__' == __name__:\n    setup(python_requires='>=3.11')\n", ">=3.11"),
        # coverage 7.17's: a module-level statement's call, given to setup() later
        (
            "setup_args = dict(name='c', python_requires='>=3.11')\n"
            "def main():\n    setup(**setup_args)\nif __name__ == '__main__':\n    main()\n",
            ">=3.11",
        ),
        ("setup(python_requires='>=3.8')\nsetup(python_requires='>=3.10')\n", ">=3.10"),
        ("args = [dict(python_requires='>=3.10')]\n", "None"),  # not the statement's own call
        # computed, nested in a function, or not a string: not read (as cibuildwheel)
        ("setup(python_requires='>=' + '3.10')\n", "None"),
        ("def main():\n    setup(python_requires='>=3.10')\nmain()\n", "None"),
        ("setup(python_requires=3)\n", "None"),
        ("setup(python_requires='>=3.10'\n", "None"),  # does not parse
    ],
)
def test_setup_py_python_requires(tmp_path: Path, setup_py: str, expected: str) -> None:
    (tmp_path / "setup.py").write_text(setup_py)
    assert str(load_project(tmp_path).requires_python) == expected


def test_setup_cfg_comes_before_setup_py_and_a_bad_one_is_named(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text("setup(python_requires='>=3.12')\n")
    (tmp_path / "setup.cfg").write_text("[options]\npython_requires = >=3.9\n")
    assert str(load_project(tmp_path).requires_python) == ">=3.9"
    (tmp_path / "setup.cfg").unlink()
    (tmp_path / "setup.py").write_text("setup(python_requires='3.10+')\n")
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert str(info.value) == (
        "setup.py: python_requires: requires-python '3.10+' is not a valid version specifier "
        "(PEP 440), e.g. '>=3.9'."
    )


def test_sdist_metadata(tmp_path: Path) -> None:
    sdist = _sdist(
        tmp_path / "demo-1.0.tar.gz",
        {
            "PKG-INFO": "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Python: >=3.11\n",
            "pyproject.toml": "[tool.manywheel]\nskip = 'cp311-*'\n",
        },
    )
    project = load_project(sdist)
    assert project.is_sdist
    assert project.name == "demo"
    assert str(project.requires_python) == ">=3.11"
    assert project.pyproject == {"tool": {"manywheel": {"skip": "cp311-*"}}}


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_project(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ConfigError, match="is a file but not an sdist"):
        load_project(tmp_path / "notes.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="is not a Python project"):
        load_project(tmp_path / "empty")
    (tmp_path / "broken.tar.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ConfigError, match="is not a readable sdist"):
        load_project(tmp_path / "broken.tar.gz")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "pyproject.toml").write_text("[project\nname=")
    with pytest.raises(ConfigError, match=r"pyproject\.toml is not valid TOML"):
        load_project(tmp_path / "bad")
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.x"\n')
    with pytest.raises(
        ConfigError, match=r"requires-python '>=3\.x' is not a valid version specifier"
    ):
        load_project(tmp_path / "spec")
