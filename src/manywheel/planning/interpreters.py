"""Discovering the CPython and PyPy interpreters on this host, for the native backend."""

from __future__ import annotations

import dataclasses
import functools
import glob
import json
import os
import platform
import shutil
import struct
import subprocess
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from manywheel.config.identifiers import Identifier, Implementation, PlatformKind

# the sysconfig variables setuptools compiles an extension's C files with (its include dir
# aside: a file that does not include Python.h is the same translation unit under any)
COMPILE_FLAG_VARIABLES = ("CC", "CFLAGS", "CCSHARED", "OPT")

# Runs under every interpreter we probe (including Python 2), so keep it old-fashioned.
_PROBE = (
    "import json, platform, struct, sys, sysconfig\n"
    "sys.stdout.write(json.dumps({'version': platform.python_version(),"
    " 'implementation': platform.python_implementation(),"
    " 'gil_disabled': bool(sysconfig.get_config_var('Py_GIL_DISABLED')),"
    " 'soabi': sysconfig.get_config_var('SOABI'),"
    " 'machine': platform.machine(), 'bits': struct.calcsize('P') * 8,"
    " 'compile_flags': [sysconfig.get_config_var(n) or '' for n in "
    + repr(COMPILE_FLAG_VARIABLES)
    + "], 'executable': sys.executable}))\n"
)


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str
    identifier: Identifier
    abi: str = ""  # a PyPy's ABI tag (pypy39_pp73); a CPython's follows from its identifier
    # how setuptools compiles C for it (COMPILE_FLAG_VARIABLES, joined): two interpreters with
    # the same share compiled objects through the compiler cache (run/compile_order.py)
    compile_flags: str = ""


def host_platform_kind() -> PlatformKind:
    libc, _ = platform.libc_ver()
    return "manylinux" if libc == "glibc" else "musllinux"


def normalize_arch(machine: str, bits: int) -> str:
    machine = {"amd64": "x86_64", "arm64": "aarch64", "i386": "i686", "i586": "i686"}.get(
        machine.lower(), machine.lower()
    )
    if machine == "x86_64" and bits == 32:
        return "i686"
    if machine == "aarch64" and bits == 32:
        return "armv7l"
    return machine


@functools.cache
def host_arch() -> str:
    # the pointer size, not platform.architecture(): that runs `file` on the interpreter
    return normalize_arch(platform.machine(), struct.calcsize("P") * 8)


def candidate_paths(
    explicit: Iterable[str], environ: Mapping[str, str], *, only_opt_python: bool = False
) -> list[str]:
    """Places CPython and PyPy may live, most specific first. Shims (pyenv) are skipped.

    ``only_opt_python``: inside a manylinux image, its /opt/python is the whole matrix."""
    found: list[str] = list(explicit)
    found += sorted(glob.glob("/opt/python/cp3*/bin/python"))
    found += sorted(glob.glob("/opt/python/pp3*/bin/python"))
    if only_opt_python:
        return [p for p in dict.fromkeys(found) if os.access(p, os.X_OK)]
    pyenv_root = environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found += sorted(glob.glob(os.path.join(pyenv_root, "versions", "*", "bin", "python3")))
    found += sorted(glob.glob(os.path.join(pyenv_root, "versions", "pypy3*", "bin", "pypy3")))
    uv_dir = environ.get("UV_PYTHON_INSTALL_DIR") or os.path.expanduser("~/.local/share/uv/python")
    found += sorted(glob.glob(os.path.join(uv_dir, "cpython-3*", "bin", "python3")))
    found += sorted(glob.glob(os.path.join(uv_dir, "pypy-3*", "bin", "pypy3")))
    for directory in environ.get("PATH", "").split(os.pathsep):
        if not directory or "shims" in Path(directory).parts:
            continue
        for name in ("python3.[0-9]*", "python3", "pypy3.[0-9]*", "pypy3"):
            found += sorted(glob.glob(os.path.join(directory, name)))
    out: list[str] = []
    for path in found:
        if path not in out and os.access(path, os.X_OK) and not path.endswith("-config"):
            out.append(path)
    return out


_probed: dict[tuple[str, int, int, int], Interpreter | None] = {}
_probed_lock = threading.Lock()


def probe(path: str) -> Interpreter | None:
    """Ask one executable what it is; None if it is not a usable CPython or PyPy 3. Asked once per
    process for the same file (a run discovers interpreters for its plan and its backends)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (os.path.realpath(path), st.st_ino, st.st_size, st.st_mtime_ns)
    with _probed_lock:
        if key in _probed:
            found = _probed[key]
            return None if found is None else dataclasses.replace(found, path=path)
    found = _probe(path)
    with _probed_lock:
        _probed[key] = found
    return found


def _probe(path: str) -> Interpreter | None:
    try:
        proc = subprocess.run(
            [path, "-c", _PROBE],
            capture_output=True,
            check=False,
            text=True,
            timeout=30,
            env={**os.environ, "PYTHONNOUSERSITE": "1"},
        )
        info = json.loads(proc.stdout)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    implementation = _IMPLEMENTATIONS.get(info.get("implementation"))
    if proc.returncode != 0 or implementation is None:
        return None
    # 3.12.1, or 3.15.0rc1 for a pre-release (kept: the plan gates those); a PyPy says the
    # version of Python it implements (3.9.16), not its own (7.3.11)
    major, minor = (int(x) for x in info["version"].split(".")[:2])
    if major != 3:
        return None
    ident = Identifier(
        (major, minor),
        bool(info["gil_disabled"]),
        host_platform_kind(),
        normalize_arch(info["machine"], int(info["bits"])),
        implementation,
    )
    abi = pypy_abi(info.get("soabi")) if implementation == "pp" else ""
    flags = " | ".join(str(value) for value in info.get("compile_flags", []))
    return Interpreter(path, info["version"], ident, abi, flags)


_IMPLEMENTATIONS: dict[object, Implementation] = {"CPython": "cp", "PyPy": "pp"}


def pypy_abi(soabi: object) -> str:
    """PyPy's SOABI (pypy39-pp73) as its wheels' ABI tag (pypy39_pp73), as packaging.tags
    spells it; empty if the interpreter did not say."""
    if not isinstance(soabi, str) or not soabi.startswith("pypy"):
        return ""
    return "_".join(soabi.split("-")[:2])


def discover(
    explicit: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
    *,
    only_opt_python: bool = False,
) -> list[Interpreter]:
    """Every distinct CPython and PyPy 3 found, one per identifier (the first found wins)."""
    environ = os.environ if environ is None else environ
    paths = candidate_paths(explicit, environ, only_opt_python=only_opt_python)
    with ThreadPoolExecutor(max_workers=8) as pool:
        probed = list(pool.map(probe, paths))
    chosen: dict[Identifier, Interpreter] = {}
    for interp in probed:
        if interp is not None and interp.identifier not in chosen:
            chosen[interp.identifier] = interp
    return sorted(chosen.values(), key=lambda i: i.identifier)


@functools.cache
def uv_binary() -> str | None:
    """The uv executable: from the uv package manywheel depends on, else PATH.

    Call it first from the main thread: uv's lookup reads sysconfig, which is not thread-safe
    on first use.
    """
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")
