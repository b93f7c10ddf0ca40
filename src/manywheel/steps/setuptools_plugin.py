"""A setuptools plugin, put on the build command's PYTHONPATH on a machine of more than one core
(steps/parallel_build.py): setuptools' ``build_ext`` then builds several extensions at a time
(its ``parallel`` option, threads), and compiles several of an extension's sources at a time
(as pybind11's ``ParallelCompile`` and numpy.distutils did), when that is safe; never more
compilers at once than the build's share of the cores, which manywheel rewrites in a file as
other builds start and end (run/build_slots.py). pycryptodome's 53 extensions, and brotli's
one extension of 37 files, build on every core a lone build has instead of one.

Python 3.6+ and the standard library only: it runs in the build backend's process, under the
job's interpreter (never imported by manywheel). setuptools finds it by its entry point in the
``setuptools.finalize_distribution_options`` group (the dist-info beside it: ``files()``).

The decision is taken when ``build_ext`` checks its final list of extensions, right before it
reads ``parallel`` (``build_extensions``): extensions a project adds in setup.cfg,
pyproject.toml or its own command are all there by then. It builds one at a time, as without
the plugin, when:
- ``parallel`` is set already (the project's setup.cfg, ``DIST_EXTRA_CONFIG``, ``--parallel``):
  ``[build_ext] parallel = 0`` keeps a build serial;
- fewer than two extensions;
- two extensions compile the same source, or sources of one name (``a.c``, ``a.cpp``, ``a.pyx``
  and its generated ``a.c``): both write one object path, one writing it while the other
  links it (setuptools#3942, #5196; lz4 compiles its bundled library into each extension);
- the command's ``build_extension`` is the project's own (it may not be safe in threads);
- an extension is a setuptools ``Library``, or links one (setuptools swaps the compiler for
  it), or links what the build writes (its build_temp or build_lib);
- Cython compiles a source (.pyx, .py) during the build: not known to be safe in threads.
It compiles an extension's sources one at a time, as without the plugin, when ``parallel`` is
set already, or when the compiler's ``compile`` or ``_compile`` is not distutils' own (the
project's, or one set on the compiler object: the CUDA recipe that swaps ``compiler_so``
around each ``_compile``), or when two sources of one extension compile to one object.
A line on the build log says what it does, and why not. What it builds at a time, it starts
the largest first (``source_size``: a long compile started last keeps one core busy while the
others have nothing left to do); the objects are the same.

When ``MANYWHEEL_WHEEL_STORED=1`` (manywheel sets it when auditwheel repairs the wheel, which
unpacks it and writes it again, compressed), ``bdist_wheel`` writes the wheel uncompressed
(its ``compression`` option), unless the project or the user set that option: the files are
compressed once instead of twice (pycryptodome's 10 MB, 0.3 s of one core at the end of its
build), and the repaired wheel is byte for byte the same.

When ccache's depend mode is asked for (``CCACHE_DEPEND``, steps/depend_mode.py), the compiles
it runs also write a dependency file beside each object (``-MD``: gcc's and clang's kind of
compiler only, and not when the compile line asks for dependency output already), which that
mode needs; the object is the same.

When ``MANYWHEEL_SHARED_LINE`` is given (a job that compiles like another of the run), the
compiles it runs also record what they read (the first job of the flags) or take that job's
compile line where that is proven the same compile (the others): steps/shared_line.py, put
beside this module. Both then compile in depend mode, unless the user chose ccache's mode.
"""

import os
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

JOBS_VARIABLE = "MANYWHEEL_BUILD_EXT_JOBS"
STORED_VARIABLE = "MANYWHEEL_WHEEL_STORED"  # "1": bdist_wheel writes its zip uncompressed
MODULE = "manywheel_setuptools_plugin"
DIST_INFO = "manywheel_setuptools_plugin-1.dist-info"
ENTRY_POINTS = (
    "[setuptools.finalize_distribution_options]\n"
    "manywheel_parallel_build_ext = manywheel_setuptools_plugin:finalize\n"
)
METADATA = "Metadata-Version: 2.1\nName: manywheel-setuptools-plugin\nVersion: 1\n"

# where the stock build_extension is defined: setuptools', distutils', and Cython's (which
# setuptools' build_ext derives from when Cython is installed, cythonizing .pyx sources only)
_STOCK = (
    "setuptools.command.build_ext",
    "setuptools._distutils.command.build_ext",
    "distutils.command.build_ext",
    "Cython.Distutils.build_ext",
)
_CYTHON = (".pyx", ".py")
# compilers that write a dependency file beside the object for -MD: gcc's and clang's kind,
# cross (x86_64-linux-gnu-gcc) and versioned (gcc-12) names too; not manywheel's zig-cc, which
# ccache does not wrap
_GCC_LIKE = re.compile(r"^(?:.+-)?(?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+)(?:-[0-9][0-9.]*)?$")
# where distutils' own compile and _compile are defined: the standard library's, setuptools'
# copy (named distutils too once setuptools puts it in its place), which moved them to
# compilers/C in 2025
_STOCK_COMPILE = tuple(
    prefix + name
    for prefix in ("", "setuptools._")
    for name in ("distutils.ccompiler", "distutils.compilers.C.base")
)
_STOCK_UNIX = tuple(
    prefix + name
    for prefix in ("", "setuptools._")
    for name in ("distutils.unixccompiler", "distutils.compilers.C.unix")
)


def finalize(dist: Any) -> None:
    """The entry point: the distribution's build_ext command, once made, decides when it
    checks its extensions in the build; its bdist_wheel writes the wheel uncompressed when
    asked to."""
    if os.environ.get(STORED_VARIABLE) == "1":
        store_uncompressed(dist)
    most, path = jobs_setting(os.environ.get(JOBS_VARIABLE, ""))
    if most < 2:
        return
    made = dist.get_command_obj

    def get_command_obj(command: str, create: int = 1) -> Any:
        cmd = made(command, create)
        if command == "build_ext" and cmd is not None and "check_extensions_list" not in vars(cmd):
            slots = Slots(most, path)
            cmd.check_extensions_list = _deciding(cmd, cmd.check_extensions_list, slots)
        return cmd

    dist.get_command_obj = get_command_obj


def store_uncompressed(dist: Any) -> None:
    """``bdist_wheel`` writes the wheel's files uncompressed (its ``compression`` option), unless
    the project or the user set the option: setup.cfg, pyproject.toml and the command line are
    read after this (and win), ``setup(options=...)`` before (and is kept)."""
    dist.get_option_dict("bdist_wheel").setdefault("compression", ("manywheel", "stored"))


def jobs_setting(value: str) -> Tuple[int, Optional[str]]:
    """``N``: N compilers at once; ``N:path``: up to N, as many as ``path`` says (0: none)."""
    most, _, path = value.partition(":")
    try:
        return int(most or 0), path or None
    except ValueError:
        return 0, None


class Slots:
    """The compilers a build may run at once: a fixed number, or as many as the cores manywheel
    gives the build now, which it writes in a file as other builds start and end (read again
    at most every 0.2 s; the last good number is kept)."""

    def __init__(self, most: int, path: Optional[str]) -> None:
        self.most, self.path = most, path
        self.limit = most if path is None else 1
        self.running = 0
        self.read_at = -1.0
        self.changed = threading.Condition()

    def now(self) -> int:
        if self.path is not None and time.monotonic() - self.read_at >= 0.2:
            self.read_at = time.monotonic()
            try:
                with open(self.path, encoding="ascii") as fh:
                    self.limit = min(self.most, max(1, int(fh.read().strip())))
            except (OSError, ValueError):
                pass
        return self.limit

    def at_a_time(self) -> str:
        if self.path is None:
            return f"{self.most} at a time"
        return f"as many at a time as the build has cores ({self.now()} now, up to {self.most})"

    def __enter__(self) -> None:
        with self.changed:
            while self.running >= self.now():
                self.changed.wait(0.2)
            self.running += 1

    def __exit__(self, *exc: object) -> None:
        with self.changed:
            self.running -= 1
            self.changed.notify_all()


def _deciding(cmd: Any, check: Callable[[Any], Any], slots: Slots) -> Callable[[Any], Any]:
    said: List[str] = []
    ours: List[bool] = []  # not empty: cmd.parallel is the plugin's, not the project's

    def say(line: str) -> None:
        if line not in said:
            said.append(line)
            sys.stderr.write(f"[manywheel] setuptools: {line}\n")
            sys.stderr.flush()

    def check_then_decide(extensions: Any) -> Any:
        result = check(extensions)
        # in the build only: the command is finalized for metadata too (egg_info, an isolated
        # build's get_requires_for_build_wheel), before build_ext.run makes the compiler
        made = cmd.compiler is not None and not isinstance(cmd.compiler, str)  # not its name
        if (cmd.parallel is not None and not ours) or not made:
            return result
        extensions = list(extensions or [])
        gated = compile_in_threads(cmd.compiler, slots)  # None: every compile takes a slot
        why_not = why_serial(cmd, extensions)
        threads = slots.most if gated is None else slots.now()
        cmd.parallel = threads if why_not is None and threads > 1 else None
        ours[:] = [True]
        if cmd.parallel:
            cmd.extensions = largest_first(cmd.extensions, extension_size)
            shown = slots.at_a_time() if gated is None else f"{threads} at a time"
            say(f"building its {len(extensions)} extensions {shown}, the largest first")
        elif why_not:
            say("building extensions one at a time: " + why_not)
        if any(len(ext.sources or []) > 1 for ext in extensions):
            if gated is None:
                say(f"compiling each extension's sources {slots.at_a_time()}")
            else:
                say("compiling each extension's sources one at a time: " + gated)
        return result

    return check_then_decide


def compile_in_threads(compiler: Any, slots: Slots) -> Optional[str]:
    """``compiler``'s compile, made to compile as many sources at a time as ``slots`` allow
    (None), the compiles of extensions built at a time included; or why not."""
    if getattr(compiler, "_manywheel_threads", False):
        return None
    for name, stock in (("compile", _STOCK_COMPILE), ("_compile", _STOCK_UNIX)):
        method = getattr(type(compiler), name, None)
        where = getattr(method, "__module__", "")
        if name in vars(compiler) or where not in stock:
            return f"the compiler's {name} is not distutils' own ({type(compiler).__name__})"

    shared = shared_line(os.environ)
    if shared is not None:
        for name in ("call", "spawn"):  # setuptools' distutils runs compiles by call since 2025
            if hasattr(compiler, name):
                setattr(compiler, name, _spawning(getattr(compiler, name), shared))
        if "CCACHE_DEPEND" not in os.environ and "CCACHE_NODEPEND" not in os.environ:
            os.environ["CCACHE_DEPEND"] = "1"  # no preprocessor run on a miss (depend_mode.py)
        if shared.mode == "write":
            sys.stderr.write(f"[manywheel] setuptools: {shared.said()}\n")

    def compile(  # noqa: PLR0917  distutils' CCompiler.compile, the loop in threads
        sources: Any,
        output_dir: Any = None,
        macros: Any = None,
        include_dirs: Any = None,
        debug: Any = 0,
        extra_preargs: Any = None,
        extra_postargs: Any = None,
        depends: Any = None,
    ) -> Any:
        macros, objects, extra_postargs, pp_opts, build = compiler._setup_compile(
            output_dir, macros, include_dirs, sources, depends, extra_postargs
        )
        cc_args = compiler._get_cc_args(pp_opts, debug, extra_preargs)
        todo = [obj for obj in objects if obj in build]
        words = list(compiler.compiler_so) + list(cc_args) + list(extra_postargs or [])
        post = list(extra_postargs or []) + dependency_file_args(words, os.environ)

        def one(obj: str) -> None:
            src, ext = build[obj]
            with slots:
                _COMPILING.now = (src, obj)
                try:
                    compiler._compile(obj, src, ext, cc_args, post, pp_opts)
                finally:
                    _COMPILING.now = None

        if len(todo) < 2 or len(set(todo)) < len(todo):  # one object from two sources: in turn
            for obj in todo:
                one(obj)
        else:
            dirs = [opt[2:] for opt in pp_opts if opt.startswith("-I")]
            first = largest_first(todo, lambda obj: source_size(build[obj][0], dirs))
            with ThreadPoolExecutor(max_workers=slots.most) as pool:
                running = {obj: pool.submit(one, obj) for obj in first}
                for obj in todo:
                    running[obj].result()  # the first failure, in the sources' order
        if shared is not None:
            _done(shared)
        return objects

    compiler.compile = compile
    compiler._manywheel_threads = True
    return None


# the source and object a thread compiles now: what the compiler's spawn is running for
_COMPILING = threading.local()


def shared_line(environ: Any) -> Any:
    """This build's part in sharing compile lines between CPythons of the same flags
    (steps/shared_line.py, beside this module), or None."""
    if not environ.get("MANYWHEEL_SHARED_LINE"):
        return None
    try:  # beside this module in a build; manywheel's own in its tests
        import manywheel_shared_line as module  # type: ignore[import-not-found]
    except ImportError:
        try:
            from manywheel.steps import shared_line as module
        except ImportError:
            return None
    try:
        return module.SharedLine.from_environ(environ)
    except Exception:  # sharing never fails a build
        return None


def _spawning(spawn: Callable[..., Any], shared: Any) -> Callable[..., Any]:
    """The compiler's ``spawn``, running a compile of ``_compile`` with the line the shared
    record proves the same (a build of another CPython), or noting what it read (the
    reference's). Sharing never fails a build: when it cannot tell, the build's own line."""

    def run(cmd: Any, **kwargs: Any) -> Any:
        now = getattr(_COMPILING, "now", None)
        if now is None:  # not a compile, or the call within one (call runs spawn)
            return spawn(cmd, **kwargs)
        source, obj = now
        argv = list(cmd)
        if shared.mode == "read":
            try:
                argv = shared.line_for(source, argv)
            except Exception:  # an unreadable record: this build's own line
                argv = list(cmd)
        _COMPILING.now = None
        try:
            result = spawn(argv, **kwargs)
        finally:
            _COMPILING.now = now
        if shared.mode == "write":
            try:
                shared.note(source, argv, obj)
            except Exception:  # nothing recorded for this file
                pass
        return result

    return run


def _done(shared: Any) -> None:
    """After an extension's compiles: the record written (the reference), or what was shared
    said (the others)."""
    try:
        if shared.mode == "write":
            shared.save()
            return
        said = shared.said()
    except Exception as exc:  # a record not written: the others compile their own
        said = f"no record of the compiles kept ({exc})"
    if said:
        sys.stderr.write(f"[manywheel] setuptools: {said}\n")
        sys.stderr.flush()


# a header the source includes with quotes: the project's own, most often
_LOCAL_INCLUDE = re.compile(rb'^[ \t]*#[ \t]*include[ \t]*"([^"\n]+)"', re.MULTILINE)
_SIZES: Dict[str, Tuple[int, List[bytes]]] = {}  # a file's size and what it includes so
# where an included name is found, from a directory and the include dirs (None: not in the
# project): found once, however many sources include it
_FOUND: Dict[Tuple[str, bytes, Tuple[str, ...], str], Optional[str]] = {}


def largest_first(items: List[Any], size: Callable[[Any], int]) -> List[Any]:
    """``items`` (extensions, sources) ordered by ``size``, the largest first (else in their
    order): the longest compiles start first, so that none of them starts last, while the
    other cores have nothing left to do. A guess that fails keeps their order: it fails no
    build."""
    try:
        sizes = [size(item) for item in items]
    except Exception:  # a source path setuptools reads and this guess does not
        return list(items)
    order = sorted(range(len(items)), key=lambda i: -sizes[i])
    return [items[i] for i in order]


def extension_size(ext: Any) -> int:
    return sum(source_size(source, list(ext.include_dirs or [])) for source in ext.sources or [])


def source_size(source: str, include_dirs: List[str]) -> int:
    """How long ``source`` takes to compile, guessed: its bytes and those of the project's
    files it includes with quotes (beside the including file, or in ``include_dirs``; inside
    the project directory only, each counted once). pycryptodome 4.4.0's six slowest
    compiles are its six largest so (mldsa_avx2_bmi2.c, 531 bytes, includes mldsa.c)."""
    root = os.path.realpath(os.curdir) + os.sep
    dirs = tuple(include_dirs)
    seen: Set[str] = set()  # real paths: a directory that links to its parent is no loop
    todo = [os.path.realpath(source)]
    total = 0
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        size, included = _read_size(path)
        total += size
        for name in included:
            found = _found(os.path.dirname(path), name, dirs, root)
            if found is not None:
                todo.append(found)
    return total


def _found(directory: str, name: bytes, include_dirs: Tuple[str, ...], root: str) -> Optional[str]:
    """The real path of the project's file ``name`` names, beside the including file (in
    ``directory``) or in ``include_dirs``; None when it is not in the project (under ``root``)."""
    key = (directory, name, include_dirs, root)
    if key not in _FOUND:
        candidates = (
            os.path.realpath(os.path.join(d, os.fsdecode(name))) for d in (directory, *include_dirs)
        )
        found = (f for f in candidates if f.startswith(root) and os.path.isfile(f))
        _FOUND[key] = next(found, None)
    return _FOUND[key]


def _read_size(path: str) -> Tuple[int, List[bytes]]:
    if path not in _SIZES:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            data = b""
        _SIZES[path] = (len(data), _LOCAL_INCLUDE.findall(data))
    return _SIZES[path]


def dependency_file_args(words: List[str], environ: Any) -> List[str]:
    """``["-MD"]`` for a compile line of ``words`` (the compiler, then its arguments) when
    ``environ`` asks ccache for depend mode (``CCACHE_DEPEND`` set, ``CCACHE_NODEPEND`` not), the
    compiler is gcc's or clang's kind (behind ``ccache`` or not), and no ``-M`` option asks for
    dependency output already; else nothing."""
    if not words or "CCACHE_DEPEND" not in environ or "CCACHE_NODEPEND" in environ:
        return []
    programs = [os.path.basename(word) for word in words[:2]]
    program = programs[1] if programs[0] == "ccache" and len(programs) > 1 else programs[0]
    if not _GCC_LIKE.match(program or "") or program.startswith("zig"):  # zig's own caching
        return []
    if any(word.startswith("-M") for word in words[1:]):
        return []
    return ["-MD"]


def why_serial(cmd: Any, extensions: List[Any]) -> Optional[str]:
    """Why the extensions must be built one at a time ("" when there is one), or None."""
    if len(extensions) < 2:
        return ""
    method = getattr(type(cmd), "build_extension", None)
    where = getattr(method, "__module__", "")
    if where not in _STOCK:
        name = getattr(method, "__qualname__", "build_extension")
        return f"the project's build_ext builds each extension its own way ({where}.{name})"
    outputs = [_absolute(d) for d in (cmd.build_temp, cmd.build_lib) if d]
    seen: Dict[str, Tuple[str, str]] = {}  # a source's path without suffix: (extension, source)
    for ext in extensions:
        reason = _alone(ext, outputs)
        if reason:
            return reason
        for source in ext.sources or []:
            stem, suffix = os.path.splitext(_absolute(source))
            if suffix in _CYTHON:
                return f"Cython compiles {source} of {ext.name}"
            other = seen.setdefault(stem, (ext.name, source))
            if other[0] != ext.name:
                named = "" if other[1] == source else f" ({other[1]} in {other[0]})"
                return f"{other[0]} and {ext.name} both compile {source}{named}"
    return None


def _alone(ext: Any, outputs: List[str]) -> Optional[str]:
    """Why ``ext`` must be built alone: it is, or links, a library of the build's."""
    if type(ext).__name__ == "Library" or getattr(ext, "_links_to_dynamic", False):
        return f"{ext.name} is, or links, a shared library the build makes"
    for path in list(ext.library_dirs or []) + list(ext.extra_objects or []):
        full = _absolute(path)
        if any(full == out or full.startswith(out + os.sep) for out in outputs):
            return f"{ext.name} links what the build writes ({path})"
    return None


def _absolute(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))
