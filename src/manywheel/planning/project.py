"""The input: a project directory or an sdist, and the metadata the plan needs from it."""

from __future__ import annotations

import configparser
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from manywheel.errors import ConfigError
from manywheel.planning.cargo import CARGO_TOML, ReadFile, rust_abi3
from manywheel.planning.setup_py import setup_py_python_requires
from manywheel.planning.source_copy import check_member, check_tar_member

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SDIST_SUFFIXES = (".tar.gz", ".tgz", ".zip")


@dataclass(frozen=True)
class Project:
    path: Path
    is_sdist: bool
    name: str | None
    requires_python: SpecifierSet | None
    pyproject: dict[str, Any] | None  # the parsed pyproject.toml, if there is one
    pyproject_label: str
    # its build files mention the limited API, or its PyO3 crate an abi3 feature (cargo.py): its
    # wheels are likely abi3 (the scheduler then builds the oldest CPython of each platform
    # first, for the others to reuse; run/abi3_reuse.py)
    limited_api: bool = False


# Top-level build files, and how they say "limited API" (setuptools, scikit-build-core,
# meson-python, CMake/C sources).
BUILD_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "meson.build", "CMakeLists.txt")
_LIMITED_API_HINTS = (
    b"py_limited_api",
    b"py-limited-api",
    b"py-api",
    b"limited-api",
    b"limited_api",
    b"Py_LIMITED_API",
)


def mentions_limited_api(files: dict[str, bytes]) -> bool:
    return any(hint in data for data in files.values() for hint in _LIMITED_API_HINTS)


def _likely_abi3(files: dict[str, bytes], doc: dict[str, Any] | None, read: ReadFile) -> bool:
    """The build files mention the limited API, or the Rust crate asks for pyo3's abi3."""
    return mentions_limited_api(files) or rust_abi3(doc, read)


def _parse_specifier(text: str, where: str) -> SpecifierSet:
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        raise ConfigError(
            f"{where}: requires-python {text!r} is not a valid version specifier "
            "(PEP 440), e.g. '>=3.9'."
        ) from None


def _loads(data: bytes, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{label} is not valid TOML: {exc}. Fix the syntax of that file and run again."
        ) from None


def _requires_from_pyproject(doc: dict[str, Any] | None, label: str) -> SpecifierSet | None:
    project = (doc or {}).get("project", {})
    text = project.get("requires-python") if isinstance(project, dict) else None
    if isinstance(text, str):
        return _parse_specifier(text, f"{label}: project.requires-python")
    return None


def _name_from_pyproject(doc: dict[str, Any] | None) -> str | None:
    project = (doc or {}).get("project", {})
    name = project.get("name") if isinstance(project, dict) else None
    return name if isinstance(name, str) else None


def load_project(path: Path) -> Project:
    """Inspect PATH (a directory or an sdist) without changing anything."""
    if not path.exists():
        raise ConfigError(
            f"'{path}' does not exist. Give a project directory (with pyproject.toml or "
            "setup.py) or an sdist (.tar.gz/.zip)."
        )
    if path.is_dir():
        return _load_directory(path.resolve())
    if path.name.endswith(SDIST_SUFFIXES):
        return _load_sdist(path.resolve())
    raise ConfigError(
        f"'{path}' is a file but not an sdist. Give a project directory or an sdist "
        f"ending in {', '.join(SDIST_SUFFIXES)}."
    )


def _load_directory(path: Path) -> Project:
    pyproject = path / "pyproject.toml"
    if not (pyproject.is_file() or (path / "setup.py").is_file() or (path / "setup.cfg").is_file()):
        raise ConfigError(
            f"'{path}' is not a Python project: it has no pyproject.toml, setup.py or "
            "setup.cfg. Point manywheel at the directory that has one, or at an sdist."
        )
    doc = _loads(pyproject.read_bytes(), str(pyproject)) if pyproject.is_file() else None
    requires = _requires_from_pyproject(doc, "pyproject.toml")
    if requires is None and (path / "setup.cfg").is_file():
        parser = configparser.ConfigParser()
        try:
            parser.read(path / "setup.cfg", encoding="utf-8")
            text = parser.get("options", "python_requires", fallback=None)
        except configparser.Error:
            text = None
        if text:
            requires = _parse_specifier(text.strip(), "setup.cfg: options.python_requires")
    if requires is None and (path / "setup.py").is_file():
        text = setup_py_python_requires(_read_file(path / "setup.py") or b"")
        if text:
            requires = _parse_specifier(text.strip(), "setup.py: python_requires")
    build_files = {n: (path / n).read_bytes() for n in BUILD_FILES if (path / n).is_file()}
    return Project(
        path,
        False,
        _name_from_pyproject(doc),
        requires,
        doc,
        "pyproject.toml",
        _likely_abi3(build_files, doc, lambda rel: _read_file(path / rel)),
    )


def _read_file(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


def _wanted(parts: tuple[str, ...]) -> bool:
    """PKG-INFO and the build files of the sdist's top directory, and every Cargo.toml below
    it (a Rust crate may sit in a subdirectory: maturin's manifest-path)."""
    top_level = len(parts) == 2 and parts[1] in {"PKG-INFO", *BUILD_FILES}
    return top_level or (len(parts) >= 2 and parts[-1] == CARGO_TOML)


def _sdist_members(path: Path) -> dict[str, bytes]:
    """The files ``_wanted`` names, by their path below the sdist's top directory."""
    found: dict[str, bytes] = {}
    try:
        if path.name.endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    check_member(name, path)
                    parts = PurePosixPath(name).parts
                    if _wanted(parts) and not name.endswith("/"):
                        found["/".join(parts[1:])] = zf.read(name)
        else:
            with tarfile.open(path, "r:*") as tf:
                for member in tf:
                    check_tar_member(member, path)
                    parts = PurePosixPath(member.name).parts
                    if _wanted(parts) and member.isfile():
                        fh = tf.extractfile(member)
                        if fh is not None:
                            found["/".join(parts[1:])] = fh.read()
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ConfigError(
            f"'{path}' is not a readable sdist ({exc}). Download it again or build it "
            "with 'python -m build --sdist'."
        ) from None
    return found


def _load_sdist(path: Path) -> Project:
    members = _sdist_members(path)
    if "PKG-INFO" not in members and "pyproject.toml" not in members:
        raise ConfigError(
            f"'{path}' is not an sdist: it has no top-level directory with PKG-INFO or "
            "pyproject.toml."
        )
    label = f"{path.name}: pyproject.toml"
    doc = _loads(members["pyproject.toml"], label) if "pyproject.toml" in members else None
    requires = _requires_from_pyproject(doc, label)
    name = _name_from_pyproject(doc)
    if "PKG-INFO" in members:
        headers = HeaderParser().parsestr(members["PKG-INFO"].decode("utf-8", "replace"))
        if requires is None and headers.get("Requires-Python"):
            requires = _parse_specifier(headers["Requires-Python"], f"{path.name}: PKG-INFO")
        name = name or headers.get("Name")
    build_files = {n: data for n, data in members.items() if n in BUILD_FILES}
    likely_abi3 = _likely_abi3(build_files, doc, members.get)
    return Project(path, True, name, requires, doc, label, likely_abi3)
