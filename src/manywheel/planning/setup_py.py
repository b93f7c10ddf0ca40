"""What the plan reads from a setup.py without running it: its ``python_requires``."""

from __future__ import annotations

import ast


def setup_py_python_requires(source: bytes) -> str | None:
    """The ``python_requires="..."`` of a setup.py, as cibuildwheel reads it: a string literal
    given to a call that is a statement of the module, or of its ``if __name__ ==
    "__main__":`` block; nothing from a setup.py that computes it or does not parse."""
    try:
        module = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    statements = list(module.body)
    statements += [s for node in module.body for s in _main_block(node)]
    for statement in statements:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            for keyword in statement.value.keywords:
                value = keyword.value
                if keyword.arg == "python_requires" and isinstance(value, ast.Constant):
                    return value.value if isinstance(value.value, str) else None
    return None


def _main_block(node: ast.stmt) -> list[ast.stmt]:
    """The statements of ``if __name__ == "__main__":`` (either way round), else none."""
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return []
    sides = [node.test.left, *node.test.comparators]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    mains = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    eq = len(node.test.ops) == 1 and isinstance(node.test.ops[0], ast.Eq)
    return node.body if eq and len(names) == 1 and len(mains) == 1 else []
