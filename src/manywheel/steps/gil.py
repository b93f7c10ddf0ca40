"""Free-threaded identifiers (cp313t, cp314t): did importing the wheel re-enable the GIL?

A free-threaded CPython turns the GIL back on when it imports an extension module that does not
declare ``Py_mod_gil = Py_MOD_GIL_NOT_USED``; the wheel then works, but single-threaded. After
the test step, each extension module of the wheel is imported alone, in a fresh process of the
test venv's interpreter (the GIL, once enabled, stays on), and ``sys._is_gil_enabled()`` asked.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

from manywheel.errors import StepFailed
from manywheel.steps.context import JobContext

GIL_ENABLED = 3  # the probe's exit status when the GIL is on after the import


def extension_modules(names: Iterable[str], suffixes: Sequence[str]) -> list[str]:
    """Dotted names of the extension modules among a wheel's files (runs in the target, too)."""
    ordered = sorted(suffixes, key=len, reverse=True)  # '.cpython-313t-...so' before '.so'
    modules = []
    for name in names:
        parts = name.split("/")
        if parts[0].endswith(".data"):
            if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                continue
            parts = parts[2:]
        for suffix in ordered:
            if parts[-1].endswith(suffix) and len(parts[-1]) > len(suffix):
                parts[-1] = parts[-1][: -len(suffix)]
                modules.append(".".join(parts))
                break
    return sorted(modules)


_MAIN = """
import importlib.machinery, json, os, subprocess, sys, zipfile

wheel, out = sys.argv[1], sys.argv[2]
if not hasattr(sys, "_is_gil_enabled"):
    report = {"error": f"{sys.executable} is not a free-threaded CPython"}
else:
    with zipfile.ZipFile(wheel) as zf:
        modules = extension_modules(zf.namelist(), importlib.machinery.EXTENSION_SUFFIXES)
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_GIL"}  # PYTHON_GIL=0 would hide it
    probe = (
        "import importlib, sys; importlib.import_module(sys.argv[1]); "
        f"sys.exit({GIL_ENABLED} if sys._is_gil_enabled() else 0)"
    )
    report = {"modules": {}}
    for module in modules:
        proc = subprocess.run(
            [sys.executable, "-W", "always::RuntimeWarning", "-c", probe, module],
            env=env, capture_output=True, text=True, errors="replace",
        )
        print(f"{module}: exit status {proc.returncode}", proc.stderr.strip(), sep="\\n")
        report["modules"][module] = {"status": proc.returncode, "stderr": proc.stderr[-2000:]}
with open(out, "w", encoding="utf-8") as fh:
    json.dump(report, fh)
"""


def probe_script() -> str:
    """The program run in the test venv: extension_modules' own source, then _MAIN."""
    head = f"from __future__ import annotations\nGIL_ENABLED = {GIL_ENABLED}\n"
    return head + inspect.getsource(extension_modules) + _MAIN


def gil_modules(report: Mapping[str, Any]) -> list[str]:
    """The modules whose import left the GIL enabled."""
    modules: dict[str, Any] = report.get("modules", {})
    return sorted(m for m, found in modules.items() if found.get("status") == GIL_ENABLED)


def gil_message(wheel: str, python_tag: str, modules: Sequence[str]) -> str:
    names = ", ".join(modules)
    return (
        f"importing {names} from {wheel} re-enabled the GIL on free-threaded {python_tag}: "
        "the module does not declare that it runs without the GIL (Py_mod_gil = "
        "Py_MOD_GIL_NOT_USED in its module slots, or PyUnstable_Module_SetGIL for "
        "single-phase init; Cython: -X freethreading_compatible=True)"
    )


def check_gil(ctx: JobContext, wheel: PurePosixPath, python: PurePosixPath) -> None:
    """For a free-threaded identifier, warn (or fail, free-threaded-gil = "error")."""
    policy = ctx.job.options.free_threaded_gil
    if not ctx.job.identifier.free_threaded or policy == "ignore":
        return
    cwd = ctx.workdir / "gil-cwd"  # outside the source tree: the installed wheel is imported
    script, out = ctx.workdir / "gil-probe.py", ctx.workdir / "gil-report.json"
    ctx.put_text(script, probe_script())
    ctx.run("test", ["mkdir", "-p", str(cwd)])
    ctx.run("test", [str(python), str(script), str(wheel), str(out)], cwd=cwd)
    report = json.loads(ctx.read_text(out))
    if "error" in report:
        raise StepFailed(report["error"], step="test", command="GIL check", returncode=1)
    modules = gil_modules(report)
    if not modules:
        return
    message = gil_message(wheel.name, ctx.job.identifier.python_tag, modules)
    if policy == "error":
        raise StepFailed(
            message + ' (free-threaded-gil = "error")',
            step="test",
            command="GIL check",
            returncode=1,
        )
    ctx.note(f"[manywheel] warning: {message}")
    ctx.warnings.append(message)
