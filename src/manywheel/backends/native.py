"""The native backend: host interpreters, host processes, a temp dir per job."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from manywheel.backends.base import Mask
from manywheel.backends.processes import Processes
from manywheel.caching.compiler_cache import CompilerCache, Notes, native_compiler_cache
from manywheel.caching.kept_envs import BuildEnvRoot, build_envs_dir
from manywheel.caching.key_inputs import build_environment, digest, host_tools, interpreter_identity
from manywheel.config.credentials import without_credentials
from manywheel.errors import CleanupFailed, ConfigError
from manywheel.planning.interpreters import uv_binary
from manywheel.planning.plan import GroupSpec, Job
from manywheel.planning.project import Project
from manywheel.planning.source_copy import copy_project, unpack_sdist


class NativeExecutor:
    """Runs jobs as host processes, each job in its own directory under one temp root."""

    kind = "native"

    def __init__(
        self,
        project: Project,
        exclude: set[Path],
        uv: str | None,
        compiler_cache: str = "off",
        environment_pass: tuple[str, ...] = (),
        *,
        announce: Callable[[str], None] | None = None,
    ) -> None:
        self._project = project
        self._pass = environment_pass
        self._exclude = exclude
        self._root: Path | None = None
        self._pristine: Path | None = None
        self._processes = Processes()
        self._uv = uv
        self._compiler_cache_mode = compiler_cache
        self._compiler_cache: CompilerCache | None = None
        self._notes = Notes(announce)

    def _require_root(self) -> Path:
        if self._root is None:
            raise RuntimeError("the native executor was used before start()")
        return self._root

    def start(self) -> None:
        """A temp root, and the project copied (or unpacked) once; each job copies from it."""
        self._root = Path(tempfile.mkdtemp(prefix="manywheel-"))
        holder = self._root / "source"
        holder.mkdir()
        try:
            if self._project.is_sdist:
                self._pristine = unpack_sdist(self._project.path, holder)
            else:
                self._pristine = copy_project(self._project.path, holder, self._exclude)
        except (OSError, shutil.Error) as exc:
            raise ConfigError(
                f"cannot copy the project '{self._project.path}' to build from it ({_why(exc)}). "
                "Make every file of the project readable, or exclude what cannot be read."
            ) from None
        self._compiler_cache, self._notes.text = native_compiler_cache(
            self._compiler_cache_mode, self._root
        )

    def base_environment(self) -> Mapping[str, str]:
        """The host's environment, credentials included: the options' $VAR expand against it
        (naming a credential there passes it on purpose). Commands get it without them."""
        cache = self._compiler_cache
        if cache is None:
            return dict(os.environ)
        return {**os.environ, **cache.environment(), "PATH": cache.path(os.environ.get("PATH", ""))}

    def _command_environment(self, env: Mapping[str, str]) -> dict[str, str]:
        """What a command sees: the host's environment without its credentials (build code is
        untrusted), but those named in environment-pass, and ``env`` (the options' values);
        then what the compiler cache makes of the whole (CCACHE_IGNOREOPTIONS: the host's or
        the options' value kept, ours added)."""
        full = {**without_credentials(self.base_environment(), self._pass), **env}
        if self._compiler_cache is not None:
            full.update(self._compiler_cache.command_environment(full))
        return full

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: PurePosixPath | None,
        env: Mapping[str, str],
        log: Path,
        mask: Mask | None = None,
    ) -> int:
        self._notes.say(log)
        return self._processes.run(
            argv,
            log,
            mask,
            cwd=str(cwd) if cwd is not None else str(self._require_root()),
            env=self._command_environment(env),
            start_new_session=True,  # Ctrl-C reaches us, we stop the group
        )

    def make_workdir(self, name: str) -> PurePosixPath:
        path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self._require_root()))
        (path / "tmp").mkdir()
        return PurePosixPath(path)

    def drop_workdir(self, path: PurePosixPath) -> None:
        shutil.rmtree(path, ignore_errors=True)

    def prepare_source(self, dest: PurePosixPath) -> PurePosixPath:
        pristine = PurePosixPath(self.before_all_dir())
        target = Path(dest) / pristine.name
        shutil.copytree(pristine, target, symlinks=True)
        return PurePosixPath(target)

    def before_all_dir(self) -> PurePosixPath:
        if self._pristine is None:
            raise RuntimeError("the native executor was used before start()")
        return PurePosixPath(self._pristine)

    def list_files(self, directory: PurePosixPath, suffix: str) -> list[PurePosixPath]:
        path = Path(directory)
        if not path.is_dir():
            return []
        return sorted(
            PurePosixPath(p) for p in path.iterdir() if p.name.endswith(suffix) and p.is_file()
        )

    def put_file(self, src: Path, dest: PurePosixPath) -> None:
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)

    def copy_out(self, src: PurePosixPath, dest: Path) -> None:
        shutil.copyfile(src, dest)

    def tool_path(self) -> str:
        dirs = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
        if self._uv:
            dirs.append(str(Path(self._uv).parent))
        return os.pathsep.join(dict.fromkeys(dirs))

    def uv(self) -> str | None:
        return self._uv

    def build_envs(self) -> BuildEnvRoot | None:
        if self._compiler_cache is None:
            return None
        host = build_envs_dir("native")
        return BuildEnvRoot(host, PurePosixPath(host))

    def debug_shell(self, cwd: PurePosixPath, env: Mapping[str, str]) -> None:
        shell = os.environ.get("SHELL") or "sh"
        subprocess.run([shell], cwd=str(cwd), env=self._command_environment(env), check=False)

    def cancel(self) -> None:
        for proc in self._processes.cancel():
            _stop(proc)

    def close(self) -> None:
        if self._root is None:
            return
        shutil.rmtree(self._root, ignore_errors=True)
        if self._root.exists():
            raise CleanupFailed(
                f"could not remove the temporary directory {self._root}; remove it with "
                f"'rm -rf {self._root}'."
            )
        self._root = None

    def keep(self) -> str | None:
        return None  # temp dirs are always removed; the logs hold what happened


def _why(exc: BaseException) -> str:
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        first = exc.args[0][0]  # (src, dst, why) per file
        return f"{first[0]}: {first[2]}"
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a command's whole process group, then kill it if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


class NativeBackend:
    name = "native"

    def __init__(
        self,
        project: Project,
        exclude: set[Path],
        environ: Mapping[str, str] | None = None,
        compiler_cache: str = "off",
        announce: Callable[[str], None] | None = None,
    ) -> None:
        self._project = project
        self._announce = announce  # says on the run's output what will not happen
        self._exclude = exclude
        self._environ = dict(os.environ if environ is None else environ)
        self._uv = uv_binary()  # looked up once, from the main thread
        self._compiler_cache = compiler_cache

    def open(self, group: GroupSpec) -> NativeExecutor:
        return NativeExecutor(
            self._project,
            self._exclude,
            self._uv,
            self._compiler_cache,
            group.environment_pass,
            announce=self._announce,
        )

    def identity(self, job: Job) -> str:
        passed = tuple(sorted(job.options.environment_pass))
        return self._identity(job.python, job.options.toolchain, passed)

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one backend per run
    def _identity(self, python: str, toolchain: str, passed: tuple[str, ...]) -> str:
        # what the build sees: a credential it never gets cannot change its wheel
        seen = without_credentials(self._environ, passed)
        return "native:" + digest(
            {
                "python": interpreter_identity(python),
                "environment": build_environment(seen),
                "tools": host_tools(self._uv, toolchain),
            }
        )
