"""The documentation site (docs/) says what the code does: the generated options reference is
current, every flag and exit status is documented, every module and test it names exists."""

from __future__ import annotations

import argparse
import ast
import re
from functools import cache
from pathlib import Path

from manywheel.cli import make_parser
from manywheel.config.declarations import NON_OPTION_ENV, OPTIONS
from manywheel.config.reference import markdown
from manywheel.errors import ExitCode

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TESTS = ROOT / "tests"


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The text under a heading, up to the next heading of the same or a higher level."""
    level = heading.split(" ", maxsplit=1)[0]
    start = text.index(f"\n{heading}\n")
    rest = text[start + len(heading) + 2 :]
    end = re.search(rf"^#{{1,{len(level)}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def table_rows(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_options_reference_is_current() -> None:
    assert markdown() in page("options.md"), (
        "docs/options.md's options reference is stale: run "
        "'.venv/bin/python scripts/update_options_reference.py'"
    )


def test_the_reference_names_every_option_with_its_variable_and_flag() -> None:
    rows = {row[0].strip("`"): row for row in table_rows(markdown())}
    for option in OPTIONS.values():
        env, flag = rows[option.name][1:3]
        assert env == f"`{option.env_var}`"
        assert flag == (f"`{option.flag}`" if option.flag else "")


def test_environment_variables_that_are_not_options_are_documented() -> None:
    text = section(page("options.md"), "## Environment variables that are not options")
    assert [var for var in sorted(NON_OPTION_ENV) if f"`{var}`" not in text] == []


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    for action in make_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("manywheel has no subcommands")


def _mentions(text: str, flag: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text) is not None


def test_every_flag_of_every_command_is_documented() -> None:
    site = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    missing = [
        f"manywheel {name} {flag}"
        for name, parser in _subcommands().items()
        for action in parser._actions
        for flag in action.option_strings
        if flag.startswith("--") and flag != "--help" and not _mentions(site, flag)
    ]
    assert missing == []


def test_flags_of_build_and_plan_are_in_the_options_page() -> None:
    text = page("options.md")
    for name in ("build", "plan"):
        flags = {f for a in _subcommands()[name]._actions for f in a.option_strings}
        flags.discard("--help")
        assert sorted(f for f in flags if f.startswith("--") and not _mentions(text, f)) == []


def test_exit_status_table_lists_every_exit_code() -> None:
    rows = table_rows(section(page("getting-started.md"), "## Exit status"))
    assert [int(row[0]) for row in rows] == sorted(code.value for code in ExitCode)


@cache
def _test_names(path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    )


def _test_file(name: str) -> Path:
    if "/" in name:
        return ROOT / name
    found = sorted(TESTS.rglob(name))
    assert len(found) == 1, f"{name}: {len(found)} files of that name under tests/"
    return found[0]


def test_every_guarantee_names_tests_that_exist() -> None:
    rows = table_rows(section(page("contributing.md"), "## Guarantees"))
    assert len(rows) >= 10
    wrong = []
    for promise, proof in rows:
        current: Path | None = None
        for file, function, count in re.findall(
            r"`((?:[\w/]+\.py)?)(?:::(\w+))?`(?: \((\d+) tests\))?", proof
        ):
            if file:
                current = _test_file(file)
                if not current.is_file():
                    wrong.append(f"{file} does not exist")
                    continue
            if current is None:
                wrong.append(f"{proof}: a test without its file")
            elif function and function not in _test_names(current):
                wrong.append(f"{current.name}::{function} does not exist")
            elif count and len(_test_names(current)) < int(count):
                wrong.append(f"{current.name} has fewer than {count} tests")
        if current is None:
            wrong.append(f"no test for: {promise}")
    assert wrong == []


# Files of the user's project, named in the docs, not of this repository.
USER_FILES = {"setup.py"}


def _repository_files() -> list[str]:
    files = []
    for folder in ("src", "tests", "scripts", "benchmarks", "examples", "docs"):
        files += [p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*.py")]
    return files


def test_every_module_the_docs_name_exists() -> None:
    files = _repository_files()
    missing = []
    for source in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        text = source.read_text(encoding="utf-8")
        for name in sorted(set(re.findall(r"`([\w/.]+\.py)(?:::\w+)?`", text)) - USER_FILES):
            if not any(f == name or f.endswith(f"/{name}") for f in files):
                missing.append(f"{source.name}: {name}")
    assert missing == []
