"""What the plan reads from a setup.py without running it: its ``python_requires``."""

from __future__ import annotations

import ast


def setup_py_python_requires(source: bytes) -> str | None:
    """The ``python_requires="..."`` of a setup.py, as cibuildwheel reads it: a string literal
    given to a call that is part of a statement of the module (``setup(...)``, or coverage's
    ``setup_args = dict(...)``), or of its ``if __name__ == "__main__":`` block, the last such
    one; nothing from a setup.py that computes it or does not parse."""
    try:
        module = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    found = None
    for statement in module.body:
        for inner in [statement, *_main_block(statement)]:
            for call in ast.iter_child_nodes(inner):
                if not isinstance(call, ast.Call):
                    continue
                for keyword in call.keywords:
                    value = keyword.value
                    text = value.value if isinstance(value, ast.Constant) else None
                    if keyword.arg == "python_requires" and isinstance(text, str):
                        found = text
    return found or None  # an empty one says nothing (as cibuildwheel reads it)


def _main_block(node: ast.stmt) -> list[ast.stmt]:
    """The statements of ``if __name__ == "__main__":`` (either way round), else none."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return []
    sides = [node.test.left, *node.test.comparators]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    mains = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    eq = len(node.test.ops) == 1 and isinstance(node.test.ops[0], ast.Eq)
    return node.body if eq and len(names) == 1 and len(mains) == 1 else []
