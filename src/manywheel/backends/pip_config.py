"""pip's configuration files on the host, as ``pip config list`` reads them: asked once per run,
and kept between runs while nothing it was read from changed.

Every run that builds in containers needs them before its first container starts (the pip
settings forwarded into a container are part of the wheel cache key), and a pip process takes
about 0.4 s. When that pip is the one this process imports (the same interpreter path, no
``pip`` in the working directory) and the environment is this process's own, pip's own code
reads them here instead (``pip._internal.configuration``, 0.14 s on a thread; the processes
answer when that internal API does not: it changed, or a file does not parse). And the answer
is kept with a record of what it was read from, as ccache's manifests record a compile's
headers, and read back only when the record still holds:

- each file ``pip config debug`` names (present or not: a file created later is seen), by
  size, mtime and inode;
- the interpreter and pip's own ``__init__.py`` (an upgrade rewrites it);
- the working directory (``python -m pip`` imports a ``pip`` found there first) and every
  variable that picks the files or the pip imported: ``PIP_*``, ``HOME``, ``XDG_CONFIG_*``,
  ``VIRTUAL_ENV`` and Python's own path variables. Their values go into a digest only.

Anything unsure (a file written in the last seconds, no pip, an answer pip did not give in
full) is not kept: pip is asked again. The ``:env:`` entries (the ``PIP_*`` variables) are not
part of the answer: the environment is read where they are used. The kept answer holds what
the files say, index URLs with their logins too, so it is written readable by its owner only.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from manywheel.caching.compiler_cache import cache_home
from manywheel.caching.key_inputs import digest
from manywheel.files import atomic_write

_RECORD_VERSION = 1
# besides every PIP_* variable: what decides which files pip reads and which pip runs
_LOCATING_VARS = (
    "HOME",
    "XDG_CONFIG_HOME",
    "XDG_CONFIG_DIRS",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONUSERBASE",
    "PYTHONNOUSERSITE",
    "PYTHONSAFEPATH",
)
_DEBUG_FILE = re.compile(r"^  (\S.*), exists: (True|False)$")
# a file changed this recently may change again within its mtime's resolution: not kept
_SETTLED_SECONDS = 2.0

_prefetched: dict[str, Future[dict[str, str]]] = {}
_prefetch_lock = threading.Lock()


def prefetch_pip_config(python: str = sys.executable) -> None:
    """Start reading pip's configuration now, in a thread of its own, for a run that can plan
    meanwhile."""
    with _prefetch_lock:
        if python in _prefetched:
            return
        future: Future[dict[str, str]] = Future()
        _prefetched[python] = future

    def read() -> None:
        try:
            future.set_result(read_pip_config(python))
        except BaseException as exc:  # raised again by pip_config: its caller must not wait
            future.set_exception(exc)

    threading.Thread(target=read, name="pip-config", daemon=True).start()


def pip_config(python: str = sys.executable) -> dict[str, str]:
    """pip's configuration files as 'section.key' -> value: the one prefetch_pip_config
    started reading, if any, else read now."""
    with _prefetch_lock:
        future = _prefetched.pop(python, None)
    return future.result() if future is not None else read_pip_config(python)


def read_pip_config(
    python: str, environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> dict[str, str]:
    """The kept answer while its record holds, else pip's (kept for the next run)."""
    asked = _Asked(python, os.environ if environ is None else environ, cwd or _cwd())
    pip_init = asked.pip_init()
    if pip_init is None:  # unsure which pip would answer: asked, nothing kept
        return _ask_pip(asked)[0]
    record = _record_path(python)
    kept = _kept(record, asked, pip_init)
    if kept is not None:
        return kept
    here = _read_here(asked)
    settings, files = here if here is not None else _ask_pip(asked)
    if files is not None:
        _keep(record, asked, pip_init, files, settings)
    return settings


def _cwd() -> Path | None:
    try:
        return Path.cwd()
    except OSError:  # removed under the run: pip is asked, nothing kept
        return None


@dataclass(frozen=True)
class _Asked:
    python: str
    env: Mapping[str, str]
    cwd: Path | None

    def pip_init(self) -> Path | None:
        """pip's __init__.py, when the pip this process would import is the one ``python -m
        pip`` runs: the same interpreter, and no ``pip`` in the working directory (imported
        first). None when unsure."""
        # the same path, not the same binary: two venvs of one interpreter are two pips
        if self.cwd is None or os.path.abspath(self.python) != os.path.abspath(sys.executable):
            return None
        if (self.cwd / "pip").exists() or (self.cwd / "pip.py").exists():
            return None
        spec = importlib.util.find_spec("pip")
        return Path(spec.origin) if spec is not None and spec.origin else None

    def key(self, files: list[str], pip_init: Path) -> str:
        names = sorted(v for v in self.env if v.startswith("PIP_") or v in _LOCATING_VARS)
        inputs = {
            "version": _RECORD_VERSION,
            "python": [
                os.path.abspath(self.python),
                os.path.realpath(self.python),
                _stat(Path(self.python)),
            ],
            "pip": [str(pip_init), _stat(pip_init)],
            "cwd": str(self.cwd),
            "env": {v: self.env[v] for v in names},
            "files": {f: _stat(Path(f)) for f in files},
        }
        return digest(inputs)


def _record_path(python: str) -> Path:
    name = hashlib.sha256(os.path.abspath(python).encode()).hexdigest()[:16]  # one per venv
    return cache_home() / "pip-config" / f"{name}.json"


def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_mode]


def _kept(record: Path, asked: _Asked, pip_init: Path) -> dict[str, str] | None:
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
        files = [str(f) for f in data["files"]]
        settings = {str(k): str(v) for k, v in data["settings"].items()}
        if data["key"] != asked.key(files, pip_init):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return settings


def _keep(
    record: Path, asked: _Asked, pip_init: Path, files: list[str], settings: dict[str, str]
) -> None:
    now = time.time_ns()
    for path in [*files, str(pip_init)]:
        st = _stat(Path(path))
        if st is not None and now - st[1] < _SETTLED_SECONDS * 1e9:
            return
    text = json.dumps({"key": asked.key(files, pip_init), "files": files, "settings": settings})

    def write(partial: Path) -> None:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)

    try:
        record.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(record, write)
    except OSError:
        pass  # not kept: the next run asks pip again


def _read_here(asked: _Asked) -> tuple[dict[str, str], list[str]] | None:
    """What ``pip config list`` and ``pip config debug`` say, read by pip's own code in this
    process: for this process's environment and working dir only (the caller checked that the
    pip imported here is the one ``python -m pip`` runs). None when it cannot tell (pip's
    internal API changed, a file does not parse, no file was named): pip's processes answer."""
    if asked.env is not os.environ or asked.cwd is None or asked.cwd != _cwd():
        return None
    try:
        from pip._internal.configuration import Configuration

        configuration = Configuration(isolated=False)
        configuration.load()
        merged: dict[str, str] = {}
        # in the order pip lets them override each other: 'section.key' -> value, or (pip
        # 24.1 on) each file's name -> its own such values
        for key, value in configuration.items():
            for name, setting in (value if isinstance(value, dict) else {key: value}).items():
                if not isinstance(name, str) or not isinstance(setting, str):
                    return None  # not what this reading knows: pip's processes answer
                merged[name] = setting
        files = [str(name) for _, names in configuration.iter_config_files() for name in names]
    except Exception:  # whatever went wrong, pip's processes say it their own way
        return None
    settings = {k: v for k, v in merged.items() if not k.startswith(":env:")}
    return (settings, files) if files else None


def _ask_pip(asked: _Asked) -> tuple[dict[str, str], list[str] | None]:
    """``pip config list`` and ``pip config debug``, side by side: the settings, and the files
    pip looked at (None when the answer is not whole: nothing is kept then)."""
    procs: list[subprocess.Popen[str]] = []
    try:
        for verb in ("list", "debug"):
            procs.append(
                subprocess.Popen(
                    [asked.python, "-m", "pip", "config", verb],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    stdin=subprocess.DEVNULL,
                    text=True,
                    env=dict(asked.env),
                    cwd=asked.cwd,
                )
            )
    except OSError:
        for proc in procs:  # the one that started is not left behind
            proc.kill()
            proc.communicate()
        return {}, None
    outputs: list[str] = []
    whole = True
    for proc in procs:
        try:
            out, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            whole = False
        outputs.append(out or "")
        whole = whole and proc.returncode == 0
    settings: dict[str, str] = {}
    for line in outputs[0].splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith(":env:"):
            settings[key.strip()] = _unquoted(value.strip())
    files = [m.group(1) for line in outputs[1].splitlines() if (m := _DEBUG_FILE.match(line))]
    return settings, files if whole and files else None


def _unquoted(value: str) -> str:
    """A value as ``pip config list`` prints it (its repr: a value of several lines, or with a
    backslash, is escaped), as pip holds it."""
    try:
        found = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value.strip("'\"")
    return found if isinstance(found, str) else str(found)
