"""What a build backend's hook read, recorded while it ran, and checked again before the next
build: put in the job's work dir and run by the build environment's Python, never imported by
manywheel (Python 3.6+, standard library only).

    python hook_inputs.py record SETTINGS IN_PROCESS HOOK CONTROL   # runs pyproject_hooks'
                                                                    # script, keeps a record
    python hook_inputs.py verify SETTINGS                           # checks the record

SETTINGS is a JSON file: ``root`` (the project dir the hook runs in), ``work`` (the job's work
dir and the dir of the run's work dirs: they stand for themselves in the environment's
values), ``skip`` (dirs whose reads are not inputs: the hook's control dir), ``key`` (a digest
of what else the answer depends on, as the host says it: the backend, its settings, the
environment's ``uv pip freeze``, this script), ``store`` (the record's path: the key, the
answer and what the hook read), and for ``verify`` ``result`` (where it writes whether the
record holds, why not, and the answer).

The record is a manifest, as ccache's: the hook's answer is a function of the files it read,
the directories it listed, the paths it looked for, its environment variables and the
interpreter, as long as it ran no other program, opened no socket and loaded no C library by
hand (then the record says why, and the hook is asked every time). CPython's audit hooks
(3.8+; PyPy's are not relied on) report the opens, listings and those refusals; ``os.stat``,
``os.lstat`` and ``os.access`` are wrapped for the paths looked for. A hook seen reading no
file of the project is not recorded either: a backend reads pyproject.toml at least. Files
are hashed as the hook opens them, before it rewrites them (egg_info rewrites SOURCES.txt);
what the hook made itself is not an input. Paths inside the interpreter's and the
environment's prefixes are not recorded: the kept environment's ``uv pip freeze`` and the
interpreter's version are in the record's key. A module imported from outside them is
recorded by its source file, not its ``.pyc``.
"""

import hashlib
import json
import os
import stat
import sys
import threading
from typing import Any, Dict, List, Optional, Set, Tuple

_REFUSED = (
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "pty.spawn",
    "socket.",
    "ctypes.dlopen",
    "ctypes.dlsym",
    "urllib.Request",
)
# events that change the tree the hook reads, and the index of the path they make: what
# they make is the hook's own; what they remove (or rename away) must have been its own too
_MAKES = {"os.mkdir": 0, "os.truncate": 0, "os.rename": 1, "os.symlink": 1, "os.link": 1}
_REMOVES = {"os.remove": 0, "os.rmdir": 0, "shutil.rmtree": 0, "os.rename": 0}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# what a shell sets for itself: where it is and was, the last command, its depth
_SHELL_BOOKKEEPING = frozenset({"PWD", "OLDPWD", "_", "SHLVL"})
_REAL_STAT = os.stat


def _kind(path: str) -> str:
    try:
        st = _REAL_STAT(path)
    except OSError:
        return "missing"
    if stat.S_ISDIR(st.st_mode):
        return "dir"
    if stat.S_ISREG(st.st_mode):
        return "file"
    return "other"


def _file_digest(path: str) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 16), b""):
                h.update(block)
    except OSError as exc:
        return f"unreadable: {exc.__class__.__name__}"
    return h.hexdigest()


def _listing(path: str) -> Any:
    try:
        return sorted(os.listdir(path))
    except OSError as exc:
        return f"unlistable: {exc.__class__.__name__}"


def _value(kind: str, path: str) -> Any:
    """The recorded value of one input, as it is now."""
    if kind == "file":
        found = _kind(path)
        return _file_digest(path) if found == "file" else found
    if kind == "dir":
        return _listing(path)
    return _kind(path)


def environment_digest(work: List[str]) -> str:
    """The hook's environment, the run's own dirs (``work``: the job's work dir, then the
    dir of the run's work dirs) standing for themselves; pyproject_hooks' own variables (the
    backend's name and path) are in the record's key, and a shell's bookkeeping is left
    out."""
    h = hashlib.sha256()
    for key in sorted(os.environ):
        if key.startswith("_PYPROJECT_HOOKS_") or key in _SHELL_BOOKKEEPING:
            continue
        value = os.environ[key]
        for i, directory in enumerate(work):
            value = value.replace(directory, f"{{work{i}}}")
        h.update(f"{key}={value}\0".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def interpreter() -> str:
    return f"{sys.version}|{os.path.realpath(sys.executable)}"


class Recorder:
    def __init__(self, settings: Dict[str, Any]) -> None:
        self.root = os.path.abspath(settings["root"])
        prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        prefixes.update(settings.get("skip", []))
        self.skipped = tuple(os.path.join(os.path.abspath(p), "") for p in prefixes)
        # (kind, path) -> its value the first time it was seen
        self.inputs: Dict[Tuple[str, str], Any] = {}
        self.made: Set[str] = set()  # paths the hook wrote: not inputs from then on
        self.created: Set[str] = set()  # those of them it made new: not in a listing next time
        self.refused = ""
        self.stopped = False
        self._lock = threading.RLock()  # the hook's threads record one at a time
        self._local = threading.local()  # busy: the recorder's own calls are not the hook's
        # as the hook starts: the backend may set variables of its own
        self.environment = environment_digest(settings.get("work", []))

    def where(self, path: Any) -> Optional[str]:
        """The path to record (relative to the root when inside it); None: not an input."""
        if isinstance(path, int) or path is None:
            return None
        try:
            full = os.path.abspath(os.fsdecode(os.fspath(path)))  # type: str
        except (TypeError, ValueError):
            return None
        if (full + os.sep).startswith(self.skipped):
            return None
        if full == self.root:
            return "."
        if full.startswith(self.root + os.sep):
            return os.path.relpath(full, self.root)
        return full

    def seen(self, kind: str, path: Any) -> None:
        where = self.where(path)
        if where is None or where in self.made or (kind, where) in self.inputs:
            return
        if kind == "path" and (self.root + os.sep).startswith(where.rstrip(os.sep) + os.sep):
            return  # the root's own dirs (os.path.realpath looks at each): they are there
        self.inputs[(kind, where)] = _value(kind, path)

    def wrote(self, path: Any) -> None:
        where = self.where(path)
        if where is not None and where not in self.made:
            if _kind(path) == "missing":
                self.created.add(where)
            self.made.add(where)

    def audit(self, event: str, args: Tuple[Any, ...]) -> None:
        self._guarded(self._audit, event, args)

    def looked(self, path: Any) -> None:
        self._guarded(self.seen, "path", path)

    def _guarded(self, call: Any, *args: Any) -> None:
        """``call`` unless the recorder itself is the caller; an error in it ends the record,
        never the hook (an audit hook's exception would stop what the hook was doing)."""
        if self.stopped or self.refused or getattr(self._local, "busy", False):
            return
        self._local.busy = True
        try:
            with self._lock:
                call(*args)
        except Exception as exc:  # whatever it is: the hook goes on
            self.refused = f"its record could not be made ({exc.__class__.__name__}: {exc})"
        finally:
            self._local.busy = False

    def _audit(self, event: str, args: Tuple[Any, ...]) -> None:
        if event.startswith(_REFUSED):
            self.refused = f"it ran {event}: what it reads does not tell what it will answer"
        elif event == "open":
            path, mode, flags = [*args, None, None, None][:3]
            writes = bool(flags and flags & _WRITE_FLAGS) or (
                isinstance(mode, str) and any(c in mode for c in "wax+")
            )
            if writes:
                self.wrote(path)
            else:
                self.seen("file", path)
        elif event in ("os.listdir", "os.scandir"):
            path = args[0] if args and args[0] is not None else "."
            if isinstance(path, bytes):  # its names as text, as the record keeps them
                path = os.fsdecode(path)
            where = self.where(path)
            if where is not None and where not in self.made and ("dir", where) not in self.inputs:
                listing = _listing(path)
                if isinstance(listing, list):  # what the hook made is not in it next time
                    base = "" if where == "." else where + os.sep
                    listing = [n for n in listing if base + n not in self.created]
                self.inputs[("dir", where)] = listing
        else:
            if event in _REMOVES and len(args) > _REMOVES[event]:
                where = self.where(args[_REMOVES[event]])
                if where is not None and where not in self.made:
                    self.refused = f"it removed {where}, which it did not make"
            if event in _MAKES and len(args) > _MAKES[event]:
                self.wrote(args[_MAKES[event]])

    def modules(self) -> None:
        """Modules imported from outside the prefixes, by their source (not their .pyc)."""
        for module in list(sys.modules.values()):
            origin = getattr(getattr(module, "__spec__", None), "origin", None)
            if isinstance(origin, str) and os.path.isabs(origin):
                self.seen("file", origin)

    def result(self) -> Dict[str, Any]:
        if self.refused:
            return {"refused": self.refused}
        self.modules()
        if not any(kind == "file" and not os.path.isabs(p) for kind, p in self.inputs):
            # a backend reads pyproject.toml at least: audit events that did not come
            return {"refused": "no file of the project was seen read"}
        return {
            "environment": self.environment,
            "interpreter": interpreter(),
            "inputs": [[k, p, v] for (k, p), v in sorted(self.inputs.items())],
        }


class _Looking:
    """``os.stat`` (or lstat, access) that tells the recorder the path looked for. A callable
    object, not a function: pathlib (3.8-3.11) keeps ``os.stat`` as a class attribute, where a
    function would be bound as a method."""

    def __init__(self, recorder: Recorder, real: Any) -> None:
        self.recorder, self.real = recorder, real

    def __call__(self, path: Any, *args: Any, **kwargs: Any) -> Any:
        if not args and "dir_fd" not in kwargs:
            self.recorder.looked(path)
        return self.real(path, *args, **kwargs)


def _wrap_stats(recorder: Recorder) -> None:
    os.stat = _Looking(recorder, os.stat)
    os.lstat = _Looking(recorder, os.lstat)
    os.access = _Looking(recorder, os.access)


def _answer(control: str) -> Optional[List[str]]:
    """The hook's answer in pyproject_hooks' output file: a list of strings, else None."""
    try:
        with open(os.path.join(control, "output.json")) as fh:
            out = json.load(fh)
    except (OSError, ValueError):
        return None
    if not isinstance(out, dict):
        return None
    if out.get("unsupported") or out.get("no_backend") or out.get("hook_missing"):
        return None
    answer = out.get("return_val")
    if isinstance(answer, list) and all(isinstance(a, str) for a in answer):
        return answer
    return None


def _drop(store: str) -> None:
    try:
        os.remove(store)
    except OSError:
        pass


def _keep(settings: Dict[str, Any], manifest: Dict[str, Any], answer: Any) -> None:
    """The record, in place at once (no reader sees half of it): the answer with what the
    hook read; or why the hook is asked every time; removed when the hook gave no answer."""
    store = settings["store"]
    if manifest.get("refused"):
        kept = {"key": settings["key"], "refused": manifest["refused"]}
    elif answer is not None:
        kept = {"key": settings["key"], "answer": answer, "manifest": manifest}
    else:
        _drop(store)
        return
    part = f"{store}.{os.getpid()}.part"
    with open(part, "w") as fh:
        json.dump(kept, fh)
    os.replace(part, store)


# setuptools' own backends: their get_requires_for_build_wheel asks for nothing unless the
# project says setup_requires (an old setuptools asks for wheel), the guess steps/build_env.py
# builds a new environment's first wheel on
SETUPTOOLS_BACKENDS = frozenset({"setuptools.build_meta", "setuptools.build_meta:__legacy__"})


def answer_before_egg_info(hook: str) -> None:
    """For setuptools' ``get_requires_for_build_wheel``: the answer once ``setup.py`` calls
    ``setup()``, without the ``egg_info`` that follows. The hook runs ``setup.py egg_info``
    only to learn ``setup_requires``: setuptools' ``setup()`` reads them (its keyword and
    setup.cfg) and hands them to ``fetch_build_eggs``, which the hook makes raise with them,
    before it calls ``distutils.core.setup``, which runs the command. When it gets that far,
    there were none: ``distutils.core.setup`` raises what ``fetch_build_eggs`` would have
    with none (0.14-0.15 s of a core less per hook for markupsafe, ujson and brotli). Only where
    setuptools works so (``_install_setup_requires``: 41.0 on) and the backend is setuptools'
    own (no ``backend-path``). The hook runs in the project: ``pyproject.toml`` is the
    project's."""
    backend = os.environ.get("_PYPROJECT_HOOKS_BUILD_BACKEND", "")
    if hook != "get_requires_for_build_wheel" or backend not in SETUPTOOLS_BACKENDS:
        return
    if any(v.startswith("_PYPROJECT_HOOKS_BACKEND_PATH") for v in os.environ):  # _JSON: 1.1 on
        return
    try:
        import contextlib
        import importlib

        meta = importlib.import_module("setuptools.build_meta")  # type: Any
        core = sys.modules["distutils.core"]  # type: Any  # the one setuptools' setup() calls
        patch = meta.Distribution.patch  # the hook's: fetch_build_eggs raises
        raised = meta.SetupRequirementsError
        setuptools = sys.modules["setuptools"]
        if not hasattr(setuptools, "_install_setup_requires") or not callable(patch):
            return
    except Exception:  # no such setuptools: the hook as it is
        return

    def setup(**attrs: Any) -> Any:
        # read as egg_info reads it (its [project] table): kept with the answer, and the
        # one file of a project without setup.py and setup.cfg seen read (Recorder.result)
        try:
            with open("pyproject.toml", "rb") as fh:
                fh.read()
        except OSError:
            pass
        raise raised([])

    @contextlib.contextmanager
    def patched() -> Any:
        real = core.setup
        core.setup = setup
        try:
            with patch():
                yield
        finally:
            core.setup = real

    meta.Distribution.patch = patched


def record(settings: Dict[str, Any], rest: List[str]) -> None:
    """Run pyproject_hooks' script (``rest``: it, the hook's name, the control dir) as its
    own ``__main__``, and keep what the hook read with its answer."""
    import runpy

    recorder = None
    # CPython's audit events are the ones relied on (PyPy's are not checked here)
    if hasattr(sys, "addaudithook") and sys.implementation.name == "cpython":
        recorder = Recorder(settings)
        sys.addaudithook(recorder.audit)
        _wrap_stats(recorder)
    answer_before_egg_info(rest[1])
    sys.argv = list(rest)
    try:
        runpy.run_path(rest[0], run_name="__main__")
    finally:
        try:
            if recorder is None:
                why = "{} {}.{} has no audit hooks relied on to record what it reads"
                name = sys.implementation.name
                manifest = {"refused": why.format(name, *sys.version_info[:2])}
            else:
                recorder.stopped = True  # the record's own reads and writes are not the hook's
                manifest = recorder.result()
            _keep(settings, manifest, _answer(rest[2]))
        except Exception:  # no record, and the hook's own outcome stands
            _drop(settings["store"])


def check(settings: Dict[str, Any]) -> Dict[str, Any]:
    """Whether the record holds (``holds``), why not or what it holds of (``why``), its
    ``answer``, and ``refused``: why the hook is asked every time."""
    miss = {"holds": False, "answer": None, "refused": None}
    try:
        with open(settings["store"]) as fh:
            kept = json.load(fh)
    except (OSError, ValueError):
        return {**miss, "why": "no answer of it is recorded"}
    if not isinstance(kept, dict) or kept.get("key") != settings["key"]:
        return {**miss, "why": "its record was made for other settings or requirements"}
    if kept.get("refused"):
        return {**miss, "why": kept["refused"], "refused": kept["refused"]}
    manifest = kept.get("manifest") or {}
    if manifest.get("interpreter") != interpreter():
        return {**miss, "why": "the interpreter changed"}
    if manifest.get("environment") != environment_digest(settings.get("work", [])):
        return {**miss, "why": "its environment variables changed"}
    said = {"file": "changed", "dir": "lists other names", "path": "is of another kind"}
    for kind, where, value in manifest.get("inputs", []):
        path = where if os.path.isabs(where) else os.path.join(settings["root"], where)
        if _value(kind, path) != value:
            return {**miss, "why": f"{where} {said.get(kind, 'changed')}"}
    inputs = len(manifest.get("inputs", []))
    return {"holds": True, "why": f"{inputs} inputs", "answer": kept.get("answer"), "refused": None}


def verify(settings: Dict[str, Any]) -> None:
    with open(settings["result"], "w") as fh:
        json.dump(check(settings), fh)


def main() -> None:
    mode = sys.argv[1]
    with open(sys.argv[2]) as fh:
        settings = json.load(fh)
    if mode == "verify":
        verify(settings)
    else:
        record(settings, sys.argv[3:])


if __name__ == "__main__":
    main()
