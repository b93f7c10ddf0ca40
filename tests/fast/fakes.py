"""An in-memory executor and backend: the steps' commands are interpreted, not run.

``uv build`` writes a wheel whose payload records CFLAGS (so a test can see which build it
got), ``auditwheel repair`` retags it manylinux_2_17, everything else succeeds unless a test
scripts a failure (``fail_when``) or a hook (``on_run``).
"""

from __future__ import annotations

import hashlib
import io
import re
import string
import threading
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from manywheel.backends.base import Backend, Mask
from manywheel.backends.native import NativeBackend
from manywheel.caching.kept_envs import BuildEnvRoot
from manywheel.config.identifiers import Identifier
from manywheel.config.model import Options
from manywheel.planning.plan import GroupSpec, Job, Plan
from manywheel.planning.project import Project
from tests.distributions import record_line


def wheel_bytes(filename: str, payload: str, extra: Mapping[str, bytes] | None = None) -> bytes:
    """A small but valid wheel (METADATA, WHEEL, RECORD with hashes), with ``extra`` files."""
    name, version, *_ = filename[:-4].split("-")
    tags = filename[:-4].split("-", 2)[2]
    dist = f"{name}-{version}.dist-info"
    files = {
        **(extra or {}),
        f"{name}/__init__.py": f"PAYLOAD = {payload!r}\n".encode(),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: fake\nRoot-Is-Purelib: false\nTag: {tags}\n"
        ).encode(),
    }
    record = [record_line(member, data) for member, data in files.items()]
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for member, data in files.items():
            zf.writestr(zipfile.ZipInfo(member, (2020, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def payload_of(path: Path) -> str:
    return payload_of_bytes(path.read_bytes())


@dataclass
class Call:
    argv: tuple[str, ...]
    cwd: PurePosixPath | None
    env: dict[str, str]

    @property
    def text(self) -> str:
        return " ".join(self.argv)

    @property
    def out_dir(self) -> str:
        """Where a uv build writes its wheel (``--out-dir``); "" for any other command."""
        argv = self.argv
        return argv[argv.index("--out-dir") + 1] if "--out-dir" in argv else ""

    @property
    def build_of(self) -> str:
        """The CPython (``cp312``) of the job a uv build is for, by its work dir; "" for any
        other command."""
        return self.out_dir.split("/")[2].split("-")[0] if self.out_dir else ""

    @property
    def hook_control(self) -> PurePosixPath | None:
        """The control dir when this runs pyproject_hooks' script (``<script> <hook>
        <control dir>``, under the recording script or not): where its output goes."""
        for i, arg in enumerate(self.argv[:-2]):
            if arg.endswith("/_in_process.py"):
                return PurePosixPath(self.argv[i + 2])
        return None


RunHook = Callable[["FakeExecutor", Call], "int | None"]


@dataclass
class FakeExecutor:
    group: GroupSpec
    kind: str = "container"
    start_error: Exception | None = None
    close_error: BaseException | None = None
    fail_when: dict[str, int] = field(default_factory=dict)  # command substring -> status
    says_when: dict[str, str] = field(default_factory=dict)  # command substring -> its output
    # programs a ``sh -c`` command runs that are not there: status 127, as dash says it
    missing: frozenset[str] = frozenset()
    on_run: RunHook | None = None
    on_start: Callable[[FakeExecutor], None] | None = None
    on_close: Callable[[FakeExecutor], None] | None = None
    files: dict[PurePosixPath, bytes] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    workdirs: list[PurePosixPath] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    cancelled: threading.Event = field(default_factory=threading.Event)
    environ: dict[str, str] = field(default_factory=dict)
    abi3_from: str | None = None  # "cp38": builds write cp38-abi3 wheels (a limited-API project)
    # True: CPythons older than abi3_from build ordinary wheels (py_limited_api set only from
    # that version on, as nanobind projects do)
    abi3_gated: bool = False
    # host libraries the repair grafts, named as auditwheel names them (<name>-<sha256[:8]>.<ext>)
    grafts: tuple[Path, ...] = ()
    # builds write wheels with these tags ("cp311-cp311", "py3-none") whatever the job, or
    # none at all (""): a backend that ignores the interpreter running it
    built_tags: str | None = None
    # where kept build environments live (None: every build isolated, as the executors say
    # without a compiler cache); test_build_env.py sets one
    kept_envs: BuildEnvRoot | None = None
    # what the package index offers: uv pip compile's lock names it, so that a test can make
    # the requirements resolve to other versions between runs
    index: str = "index-1"
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- lifecycle
    def start(self) -> None:
        self.events.append("start")
        if self.on_start is not None:
            self.on_start(self)
        if self.start_error is not None:
            raise self.start_error

    def make_workdir(self, name: str) -> PurePosixPath:
        with self._lock:
            path = PurePosixPath(f"/work/{name}-{len(self.workdirs)}")
            self.workdirs.append(path)
        return path

    def drop_workdir(self, path: PurePosixPath) -> None:
        self.events.append(f"drop {path}")

    def before_all_dir(self) -> PurePosixPath:
        return PurePosixPath("/project/demo")

    def debug_shell(self, cwd: PurePosixPath, env: Mapping[str, str]) -> None:
        self.events.append("debug-shell")

    def cancel(self) -> None:
        self.events.append("cancel")
        self.cancelled.set()

    def close(self) -> None:
        self.events.append("close")
        if self.on_close is not None:
            self.on_close(self)
        if self.close_error is not None:
            raise self.close_error

    def keep(self) -> str | None:
        self.events.append("keep")
        return "kept for inspection"

    # -- what steps use
    def base_environment(self) -> Mapping[str, str]:
        return {"PATH": "/usr/bin", **self.environ}

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: PurePosixPath | None,
        env: Mapping[str, str],
        log: Path,
        mask: Mask | None = None,
    ) -> int:
        call = Call(tuple(argv), cwd, {**self.base_environment(), **env})
        with self._lock:
            self.calls.append(call)
        absent = self._absent(call)
        with log.open("a") as fh:
            fh.write((mask or str)(f"fake: {call.text}\n"))
            fh.write((mask or str)(_echoed(call)))
            fh.writelines(
                f"{said}\n" for needle, said in self.says_when.items() if needle in call.text
            )
            if absent:  # as dash says it, with its status
                fh.write(f"sh: 1: {absent}: not found\n")
        if absent:
            return 127
        if self.on_run is not None:
            status = self.on_run(self, call)
            if status is not None:
                return status
        for needle, status in self.fail_when.items():
            if needle in call.text:
                return status
        self._interpret(call)
        return 0

    def _absent(self, call: Call) -> str:
        """The first program of a ``sh -c`` command that ``missing`` names ("": none)."""
        if call.argv[:2] != ("sh", "-c"):
            return ""
        for part in re.split(r"&&|\|\||;", call.argv[2]):
            words = part.split()
            if words and words[0] in self.missing:
                return words[0]
        return ""

    def _interpret(self, call: Call) -> None:
        argv = call.argv
        self._interpret_uv_pip(call)
        # uv build --out-dir, python -m build --outdir, pip wheel --wheel-dir
        flag = next((f for f in ("--out-dir", "--outdir", "--wheel-dir") if f in argv), None)
        if flag is not None and ("build" in argv or "wheel" in argv):
            out = PurePosixPath(argv[argv.index(flag) + 1])
            tags = self.wheel_tags(str(out)) if self.built_tags is None else self.built_tags
            name = f"demo-0.1.0-{tags}-linux_{self.group.arch}.whl"
            if tags:
                self.files[out / name] = wheel_bytes(name, call.env.get("CFLAGS", ""))
        repair = re.search(r"auditwheel repair -w (\S+) (\S+)", call.text)
        if repair:
            dest, wheel = PurePosixPath(repair[1]), PurePosixPath(repair[2])
            name = wheel.name.replace("linux_", "manylinux_2_17_")
            payload = payload_of_bytes(self.files[wheel])
            self.files[dest / name] = wheel_bytes(name, payload, self._grafted())

    def _interpret_uv_pip(self, call: Call) -> None:
        """uv pip compile writes a lock (the requirements and the index's state), sync makes
        an environment hold it (install -r: what compile would write), and freeze (into a file, as build_env.py asks) says what it
        holds: kept in ``files``, beside the environment."""
        argv = call.argv
        if argv[1:3] == ("pip", "compile"):
            wanted = self.files.get(PurePosixPath(argv[-1]), b"")
            out = PurePosixPath(argv[argv.index("--output-file") + 1])
            self.files[out] = wanted + f"# from {self.index}\n".encode()
        elif argv[1:3] == ("pip", "sync"):
            env = PurePosixPath(argv[argv.index("--python") + 1]).parent.parent
            self.files[env / ".installed"] = self.files[PurePosixPath(argv[-1])]
        elif argv[1:3] == ("pip", "install") and "--requirement" in argv:  # resolved, installed
            env = PurePosixPath(argv[argv.index("--python") + 1]).parent.parent
            wanted = self.files.get(PurePosixPath(argv[argv.index("--requirement") + 1]), b"")
            self.files[env / ".installed"] = wanted + f"# from {self.index}\n".encode()
        elif argv[:2] == ("sh", "-c") and " pip freeze " in argv[2]:
            env = PurePosixPath(argv[-2]).parent.parent
            self.files[PurePosixPath(argv[-1])] = self.files.get(env / ".installed", b"")

    def _grafted(self) -> dict[str, bytes]:
        out = {}
        for lib in self.grafts:
            data = lib.read_bytes()
            base, ext = lib.name.split(".", 1)
            out[f"demo.libs/{base}-{hashlib.sha256(data).hexdigest()[:8]}.{ext}"] = data
        return out

    def _abi3_for(self, python: str) -> bool:
        if self.abi3_from is None:
            return False
        minor = int(python.removeprefix("cp3"))
        return not self.abi3_gated or minor >= int(self.abi3_from.removeprefix("cp3"))

    def wheel_tags(self, out: str) -> str:
        """What a build of the job whose work dir is in ``out`` tags its wheel: cp312-cp312,
        cp313-cp313t, pp39-pypy39_pp73 (setuptools' limited API: abi3 on a GIL CPython only)."""
        found = re.search(r"(cp3\d+)(t?)-|(pp3\d+)-", out)
        if found and found[3]:
            return f"{found[3]}-pypy{found[3][2:]}_pp73"
        python, t = (found[1], found[2]) if found else ("cp312", "")
        if not t and self._abi3_for(python):
            return f"{self.abi3_from}-abi3"
        return f"{python}-{python}{t}"

    def prepare_source(self, dest: PurePosixPath) -> PurePosixPath:
        with self._lock:
            self.events.append("prepare_source")
        return dest / "demo"

    def list_files(self, directory: PurePosixPath, suffix: str) -> list[PurePosixPath]:
        return sorted(p for p in self.files if p.parent == directory and p.name.endswith(suffix))

    def put_file(self, src: Path, dest: PurePosixPath) -> None:
        self.files[dest] = src.read_bytes()

    def copy_out(self, src: PurePosixPath, dest: Path) -> None:
        if src not in self.files:
            raise FileNotFoundError(2, "no such file", str(src))
        dest.write_bytes(self.files[src])

    def tool_path(self) -> str:
        return "/tools/bin"

    def uv(self) -> str | None:
        return "/tools/bin/uv"

    def build_envs(self) -> BuildEnvRoot | None:
        return self.kept_envs


def _echoed(call: Call) -> str:
    """What ``sh -c '[... &&] echo ...'`` prints: its words, $NAME expanded from the command's
    env (as a build's own output shows what the build sees)."""
    if call.argv[:2] != ("sh", "-c"):
        return ""
    command = call.argv[2].rsplit("&& ", 1)[-1]  # the test command comes after a cd
    if not command.startswith("echo "):
        return ""
    return string.Template(command.removeprefix("echo ")).safe_substitute(call.env) + "\n"


def payload_of_bytes(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        name = next(n for n in zf.namelist() if n.endswith("/__init__.py"))
        match = re.search(r"PAYLOAD = '(.*)'", zf.read(name).decode())
    assert match is not None
    return match[1]


# the project of the backends that only give a cache key here (their executors are fakes)
KEY_ONLY_PROJECT = Project(Path("/nonexistent/demo"), False, "demo", None, None, "pyproject.toml")


@dataclass
class FakeBackend:
    """Opens one FakeExecutor per group; ``configure`` adjusts each before it starts.

    The cache key is a real backend's: ``keyed_by.identity`` (by default the native backend's
    over ``environ``), so the cache tests run the production key, never a copy of it.
    """

    name: str = "fake"
    configure: Callable[[FakeExecutor], None] | None = None
    environ: dict[str, str] = field(default_factory=dict)
    opened: list[FakeExecutor] = field(default_factory=list)
    keyed_by: Backend | None = None

    def __post_init__(self) -> None:
        if self.keyed_by is None:
            self.keyed_by = NativeBackend(KEY_ONLY_PROJECT, set(), self.environ)

    def open(self, group: GroupSpec) -> FakeExecutor:
        executor = FakeExecutor(group, environ=dict(self.environ))
        if self.configure is not None:
            self.configure(executor)
        self.opened.append(executor)
        return executor

    def identity(self, job: Job) -> str | None:
        assert self.keyed_by is not None
        return self.keyed_by.identity(job)


def job(
    identifier: str = "cp312-manylinux_x86_64",
    *,
    image: str = "img",
    run_tests: bool = True,
    **options: object,
) -> Job:
    ident = Identifier.parse(identifier)
    # the audit (abi3audit) runs on the host, outside any executor: tests/integration cover it
    options.setdefault("audit_command", "")
    options.setdefault("test_command", "true" if run_tests else "")
    opts = Options(**options)  # type: ignore[arg-type]
    python = f"/opt/python/{ident.python_tag}/bin/python"
    version = f"{ident.version[0]}.{ident.version[1]}.1"
    abi = f"pypy{ident.version[0]}{ident.version[1]}_pp73" if ident.is_pypy else ""
    return Job(ident, python, version, image, opts, run_tests, abi)


def plan(*jobs: Job) -> Plan:
    return Plan("podman", tuple(jobs))
