"""The free-threading check's logic: which files are extension modules, what a report means.

The check itself runs in a free-threaded CPython (tests/integration/test_free_threaded.py,
skipped where none is available)."""

from __future__ import annotations

from manywheel.steps.gil import (
    GIL_ENABLED,
    extension_modules,
    gil_message,
    gil_modules,
    probe_script,
)

SUFFIXES = [".cpython-313t-x86_64-linux-gnu.so", ".abi3.so", ".so"]


def test_extension_modules_from_wheel_files() -> None:
    names = [
        "demo/__init__.py",
        "demo/_speedups.cpython-313t-x86_64-linux-gnu.so",
        "demo/sub/_fast.so",
        "top.cpython-313t-x86_64-linux-gnu.so",
        "demo.libs/libfoo-1234abcd.so.1",  # a vendored library, not a module
        "demo-1.0.data/platlib/plat.cpython-313t-x86_64-linux-gnu.so",
        "demo-1.0.data/scripts/tool.so",
        "demo-1.0.dist-info/RECORD",
        "weird/.so",
    ]
    assert extension_modules(names, SUFFIXES) == [
        "demo._speedups",
        "demo.sub._fast",
        "plat",
        "top",
    ]


def test_modules_that_left_the_gil_on() -> None:
    report = {
        "modules": {
            "demo._ok": {"status": 0, "stderr": ""},
            "demo._old": {"status": GIL_ENABLED, "stderr": "RuntimeWarning: The global ..."},
            "demo._broken": {"status": 1, "stderr": "ImportError: ..."},
        }
    }
    assert gil_modules(report) == ["demo._old"]
    assert gil_modules({"modules": {}}) == []


def test_message_names_module_wheel_and_fix() -> None:
    message = gil_message("demo-1.0-cp313-cp313t-manylinux_2_28_x86_64.whl", "cp313t", ["demo"])
    assert message.startswith(
        "importing demo from demo-1.0-cp313-cp313t-manylinux_2_28_x86_64.whl re-enabled the "
        "GIL on free-threaded cp313t"
    )
    assert "Py_mod_gil = Py_MOD_GIL_NOT_USED" in message


def test_probe_script_defines_what_it_uses() -> None:
    """Its definitions run (annotations and all) without manywheel's imports around them."""
    script = probe_script()
    definitions = script[: script.index("\nimport importlib.machinery")]
    namespace: dict[str, object] = {}
    exec(compile(definitions, "<gil probe>", "exec"), namespace)
    found = namespace["extension_modules"](["a/b.abi3.so"], [".abi3.so"])  # type: ignore[operator]
    assert found == ["a.b"]
    compile(script, "<gil probe>", "exec")
