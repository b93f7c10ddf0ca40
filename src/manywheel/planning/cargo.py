"""Rust projects (PyO3 via maturin or setuptools-rust): whether their extension is abi3.

A PyO3 crate asks for the stable ABI with one of pyo3's ``abi3`` features (``abi3``,
``abi3-py37``, ...): on the dependency itself (cryptography), through a crate feature that
enables ``pyo3/abi3-py3X`` and is on by default or named by maturin
(``[tool.maturin] features = ["pyo3/abi3-py38"]`` or the crate feature's name), or in a
workspace's shared dependency table. Nothing in Cargo.toml says "limited API", so the textual
hints of planning/project.py miss such a project; this reads the TOML instead.

The crate's manifest is the project's top-level Cargo.toml, or the one maturin's
``manifest-path`` or setuptools-rust's ``path`` names.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CARGO_TOML = "Cargo.toml"
_PYO3_CRATES = ("pyo3", "pyo3-ffi")

ReadFile = Callable[[str], "bytes | None"]  # a project-relative path -> its bytes, if any


def _table(doc: Mapping[str, Any] | None, *keys: str) -> dict[str, Any]:
    """doc[k1][k2]..., or {} where a level is missing or not a table."""
    node: Any = doc or {}
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _is_abi3_feature(name: str) -> bool:
    return name == "abi3" or name.startswith("abi3-py")


def manifest_paths(pyproject: Mapping[str, Any] | None) -> list[str]:
    """The Cargo.toml files a pyproject.toml builds: the top-level one, maturin's
    ``manifest-path``, setuptools-rust's ``ext-modules``' ``path``."""
    paths = [CARGO_TOML]
    maturin = _table(pyproject, "tool", "maturin").get("manifest-path")
    if isinstance(maturin, str):
        paths.append(maturin)
    modules = _table(pyproject, "tool", "setuptools-rust").get("ext-modules")
    for module in modules if isinstance(modules, list) else []:
        path = module.get("path") if isinstance(module, dict) else None
        if isinstance(path, str):
            paths.append(path)
    return [str(PurePosixPath(p)) for p in dict.fromkeys(paths)]


def _dependency_tables(cargo: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    """[dependencies], [workspace.dependencies] and every [target.'cfg(...)'.dependencies]."""
    yield _table(cargo, "dependencies")
    yield _table(cargo, "workspace", "dependencies")
    for target in _table(cargo, "target").values():
        yield _table(target, "dependencies")


def _enables_abi3(item: str, features: Mapping[str, Any], seen: set[str]) -> bool:
    """Whether a feature list item (``pyo3/abi3-py37``, ``pyo3?/abi3``, or a crate feature's
    name) turns pyo3's abi3 on, following crate features to what they enable."""
    crate, slash, feature = item.partition("/")
    if slash:
        return crate.rstrip("?") in _PYO3_CRATES and _is_abi3_feature(feature)
    if item in seen:  # a feature cycle is cargo's error to report, not ours
        return False
    seen.add(item)
    return any(_enables_abi3(sub, features, seen) for sub in _strings(features.get(item)))


def crate_is_abi3(cargo: Mapping[str, Any], maturin_features: Iterable[str] = ()) -> bool:
    """Whether this manifest builds pyo3 with one of its abi3 features (see the module doc)."""
    for table in _dependency_tables(cargo):
        for crate in _PYO3_CRATES:
            spec = table.get(crate)
            asked = _strings(spec.get("features")) if isinstance(spec, dict) else []
            if any(map(_is_abi3_feature, asked)):
                return True
    features = _table(cargo, "features")
    enabled = [*_strings(features.get("default")), *maturin_features]
    return any(_enables_abi3(item, features, set()) for item in enabled)


def rust_abi3(pyproject: Mapping[str, Any] | None, read: ReadFile) -> bool:
    """Whether the project's Rust extension is asked to be abi3 (a hint for the scheduler:
    a manifest that cannot be read or parsed says no, and the build reports it)."""
    maturin_features = _strings(_table(pyproject, "tool", "maturin").get("features"))
    for path in manifest_paths(pyproject):
        data = read(path)
        if data is None:
            continue
        try:
            cargo = tomllib.loads(data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        if crate_is_abi3(cargo, maturin_features):
            return True
    return False
