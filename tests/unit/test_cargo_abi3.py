"""A PyO3 project asks for abi3 in Cargo.toml or maturin's settings: the scheduler is told, so
that one job builds the abi3 wheel and the others wait to reuse it."""

from __future__ import annotations

import io
import tarfile
import textwrap
from pathlib import Path

import pytest

from manywheel.planning.project import load_project

MATURIN = '[build-system]\nrequires = ["maturin>=1,<2"]\nbuild-backend = "maturin"\n'
PACKAGE = '[package]\nname = "demo"\nversion = "0.1.0"\n\n'


def cargo(dependencies: str, rest: str = "") -> str:
    return PACKAGE + "[dependencies]\n" + textwrap.dedent(dependencies) + textwrap.dedent(rest)


def project(root: Path, pyproject: str, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(pyproject)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize(
    ("cargo_toml", "pyproject_extra", "abi3"),
    [
        # on the dependency, as cryptography does
        (cargo('pyo3 = { version = "0.17", features = ["extension-module", "abi3-py37"] }\n'),
         "", True),
        (cargo('pyo3 = { version = "0.22", features = ["abi3"] }\n'), "", True),
        (cargo('pyo3-ffi = { version = "0.22", features = ["abi3-py38"] }\n'), "", True),
        # an ordinary extension
        (cargo('pyo3 = { version = "0.17", features = ["extension-module"] }\n'), "", False),
        (cargo('pyo3 = "0.17"\n'), "", False),
        # through a crate feature: on by default, or named by maturin
        (cargo('pyo3 = "0.17"\n', '[features]\ndefault = ["stable"]\nstable = ["pyo3/abi3-py38"]\n'),
         "", True),
        (cargo('pyo3 = "0.17"\n', '[features]\nstable = ["pyo3?/abi3-py38"]\n'),
         '[tool.maturin]\nfeatures = ["stable"]\n', True),
        (cargo('pyo3 = "0.17"\n', '[features]\nstable = ["pyo3/abi3-py38"]\n'), "", False),
        # maturin's own features setting
        (cargo('pyo3 = "0.17"\n'), '[tool.maturin]\nfeatures = ["pyo3/abi3-py37"]\n', True),
        (cargo('pyo3 = "0.17"\n'), '[tool.maturin]\nfeatures = ["pyo3/macros"]\n', False),
        # a workspace's shared dependency, a platform's dependencies
        ('[workspace.dependencies]\npyo3 = { version = "0.17", features = ["abi3-py39"] }\n',
         "", True),
        (PACKAGE + "[target.'cfg(unix)'.dependencies]\n"
         'pyo3 = { version = "0.17", features = ["abi3-py37"] }\n', "", True),
        # a feature cycle is cargo's to report
        (cargo('pyo3 = "0.17"\n', '[features]\ndefault = ["a"]\na = ["b"]\nb = ["a"]\n'),
         "", False),
        ("this is [not toml", "", False),
    ],
)  # fmt: skip
def test_abi3_from_cargo_toml(
    tmp_path: Path, cargo_toml: str, pyproject_extra: str, abi3: bool
) -> None:
    root = project(tmp_path, MATURIN + pyproject_extra, {"Cargo.toml": cargo_toml})
    assert load_project(root).limited_api is abi3


def test_manifest_in_a_subdirectory(tmp_path: Path) -> None:
    abi3 = cargo('pyo3 = { version = "0.17", features = ["abi3-py37"] }\n')
    maturin = project(
        tmp_path / "maturin",
        MATURIN + '[tool.maturin]\nmanifest-path = "rust/Cargo.toml"\n',
        {"rust/Cargo.toml": abi3},
    )
    assert load_project(maturin).limited_api
    setuptools_rust = project(
        tmp_path / "setuptools-rust",
        '[[tool.setuptools-rust.ext-modules]]\ntarget = "demo._demo"\npath = "native/Cargo.toml"\n',
        {"native/Cargo.toml": abi3},
    )
    assert load_project(setuptools_rust).limited_api


def test_a_rust_sdist(tmp_path: Path) -> None:
    files = {
        "PKG-INFO": "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
        "pyproject.toml": MATURIN + '[tool.maturin]\nmanifest-path = "crates/demo/Cargo.toml"\n',
        "crates/demo/Cargo.toml": cargo('pyo3 = { version = "0.17", features = ["abi3"] }\n'),
    }
    sdist = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tf:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"demo-1.0/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    assert load_project(sdist).limited_api


def test_abi3audit_in_the_options_is_no_hint(tmp_path: Path) -> None:
    """Only pyo3's features count, not any text with "abi3" in it (the audit command)."""
    root = project(
        tmp_path,
        MATURIN + '[tool.manywheel]\naudit-command = "abi3audit --strict {abi3_wheel}"\n',
        {"Cargo.toml": cargo('pyo3 = "0.17"\n')},
    )
    assert not load_project(root).limited_api
