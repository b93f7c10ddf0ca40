"""``manywheel check`` on real builds: the example project's wheel and sdist pass; a real C
project built with each kind of metadata PyPI refuses fails, with PyPI's reason."""

from __future__ import annotations

import shutil
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.running import manywheel

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "spam"
ONLY = ("--only", "cp311-manylinux_x86_64")


def build(project: Path, out: Path, *extra: str) -> list[Path]:
    proc = manywheel("build", str(project), "-o", str(out), "-q", *ONLY, *extra)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return sorted(out.iterdir())


def check(*paths: Path) -> tuple[int, list[str]]:
    proc = manywheel("check", *map(str, paths))
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout.splitlines()


def setup_py_project(root: Path, setup_kwargs: str, version: str = "0.1.0") -> Path:
    """A one-extension C project whose metadata comes from setup.py's keywords (pyproject's
    [project] table would have setuptools validate some of it first)."""
    project = root / "bad"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    (project / "setup.py").write_text(
        textwrap.dedent(f"""\
        from setuptools import Extension, setup

        setup(
            name="bad",
            version={version!r},
            ext_modules=[Extension("bad", ["bad.c"])],
            {setup_kwargs}
        )
        """)
    )
    (project / "bad.c").write_text(
        "#include <Python.h>\n"
        'static struct PyModuleDef m = {PyModuleDef_HEAD_INIT, "bad", NULL, -1, NULL};\n'
        "PyMODINIT_FUNC PyInit_bad(void) { return PyModule_Create(&m); }\n"
    )
    return project


def test_a_real_wheel_and_sdist_pass(tmp_path: Path) -> None:
    project = tmp_path / "spam"
    shutil.copytree(EXAMPLE, project)
    wheel, sdist = sorted(build(project, tmp_path / "out", "--sdist"), key=lambda p: p.suffix)[::-1]
    code, out = check(wheel, sdist)
    assert code == 0, out
    assert out == [f"{wheel.name}: ok", f"{sdist.name}: ok"]

    # the same wheel rewritten to a pipe (sizes after the data): PyPI refuses it
    streamed = tmp_path / "streamed" / wheel.name
    streamed.parent.mkdir()
    _rewrite_streamed(wheel, streamed)
    code, out = check(streamed)
    assert code == 1
    assert out[1:] == [
        "  PyPI: Invalid distribution file. ZIP archive not accepted: "
        "ZIP contains a data descriptor.",
        "1 of 1 file(s) would be rejected by PyPI",
    ]


@pytest.mark.parametrize(
    ("setup_kwargs", "reason"),
    [
        (
            'install_requires=["foo @ git+https://example.org/foo.git"],',
            "Can't have direct dependency: foo @ git+https://example.org/foo.git.",
        ),
        (
            'classifiers=["Programming Language :: Cobol"],',
            "'Programming Language :: Cobol' is not a valid classifier.",
        ),
        (
            'project_urls={"Documentation for the whole thing": "https://example.org"},',
            "'Documentation for the whole thing' must be 32 characters or less.",
        ),
        (
            'long_description="Title\\n=====\\n\\n  indented\\n unindented\\n",',
            "The description failed to render in the default format of reStructuredText.",
        ),
        ('author_email="Some One <someone>",', "'someone' is not a valid email address"),
    ],
    ids=["direct-url", "classifier", "url-label", "description", "email"],
)
def test_a_real_wheel_with_metadata_pypi_refuses(
    tmp_path: Path, setup_kwargs: str, reason: str
) -> None:
    (wheel,) = build(setup_py_project(tmp_path, setup_kwargs), tmp_path / "out")
    code, out = check(wheel)
    assert code == 1, out
    assert out[0] == f"{wheel.name}: PyPI would reject it"
    assert len(out) == 3, out
    assert out[1].startswith(f"  PyPI: {reason}"), out
    assert out[2] == "1 of 1 file(s) would be rejected by PyPI"


def test_a_real_wheel_with_a_local_version(tmp_path: Path) -> None:
    (wheel,) = build(setup_py_project(tmp_path, "", version="0.1.0+ubuntu1"), tmp_path / "out")
    code, out = check(wheel)
    assert code == 1
    assert "  PyPI: The use of local versions in '0.1.0+ubuntu1' is not allowed." in out


def _rewrite_streamed(source: Path, target: Path) -> None:
    class Pipe:  # no seek: zipfile writes a data descriptor after each member
        def __init__(self) -> None:
            self.chunks: list[bytes] = []

        def write(self, data: bytes) -> int:
            self.chunks.append(bytes(data))
            return len(data)

        def flush(self) -> None:
            pass

    pipe = Pipe()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as zout:  # type: ignore[arg-type]
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
    target.write_bytes(b"".join(pipe.chunks))
