"""The test tree itself: pytest imports test modules by basename (rootdir-relative, no
packages), so two test files with one name in different folders break collection."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

TESTS = Path(__file__).parent.parent


def test_test_module_names_are_unique() -> None:
    names = Counter(p.name for p in TESTS.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []


# The package's stages, lowest first: a module may import from its own package and from the
# packages before it, never from one after it (the data flow of the architecture described in
# docs/contributing.md).
PACKAGE = TESTS.parent / "src" / "manywheel"
BASE = {"__init__", "errors", "files"}  # importable from anywhere; they import no stage
LAYERS = [
    "config",
    "toolchains",
    "planning",
    "caching",
    "release",
    "backends",
    "diagnose",
    "steps",
    "run",
    "ci",
    "api",
    "commands",
    "cli",
    "__main__",
]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("manywheel"):
            parts = node.module.split(".")[1:]
            found |= {alias.name for alias in node.names} if not parts else {parts[0]}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("manywheel.")}
    return found


def test_stages_import_only_earlier_stages() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("").parts
        own = rel[0]  # the stage: a package, or a module at the root
        for target in _imports(path) - {own, "__version__"}:
            later = target not in BASE and LAYERS.index(target) > LAYERS.index(own)
            if own in BASE or later:
                wrong.append(f"{'/'.join(rel)} -> {target}")
    assert wrong == []


def test_every_stage_is_named_in_the_layers() -> None:
    stages = {p.stem for p in PACKAGE.glob("*.py")} | {
        p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()
    }
    assert stages - BASE - {"resources", "schemas"} == set(LAYERS)


def test_at_most_a_dozen_modules_at_the_package_root() -> None:
    assert len(list(PACKAGE.glob("*.py"))) <= 12


def test_no_two_module_names_differ_by_a_plural() -> None:
    names = {p.stem for p in PACKAGE.rglob("*.py")} | {
        p.name for p in PACKAGE.rglob("*") if (p / "__init__.py").exists()
    }
    assert sorted(n for n in names if n + "s" in names) == []
