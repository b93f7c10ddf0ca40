"""The native backend: host interpreters, host processes, a temp dir per job."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from manywheel.backends.processes import Processes
from manywheel.interpreters import uv_binary
from manywheel.project import Project
from manywheel.sources import copy_project, unpack_sdist


class NativeExecutor:
    """Runs jobs as host processes, each job in its own directory under one temp root."""

    kind = "native"

    def __init__(self, project: Project, exclude: set[Path]) -> None:
        self._project = project
        self._exclude = exclude
        self._root = Path(tempfile.mkdtemp(prefix="manywheel-"))
        self._pristine: Path | None = None
        self._lock = threading.Lock()
        self._processes = Processes()
        self._uv = uv_binary()

    def base_environment(self) -> Mapping[str, str]:
        return dict(os.environ)

    def run(
        self, argv: Sequence[str], *, cwd: PurePosixPath | None, env: Mapping[str, str], log: Path
    ) -> int:
        return self._processes.run(
            argv,
            log,
            cwd=str(cwd) if cwd else None,
            env={**os.environ, **env},
            start_new_session=True,  # Ctrl-C reaches us, we stop the group
        )

    def make_workdir(self, name: str) -> PurePosixPath:
        path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self._root))
        (path / "tmp").mkdir()
        return PurePosixPath(path)

    def _pristine_source(self) -> Path:
        """The project copied (or unpacked) once; each job copies from here."""
        with self._lock:
            if self._pristine is None:
                holder = self._root / "source"
                holder.mkdir()
                if self._project.is_sdist:
                    self._pristine = unpack_sdist(self._project.path, holder)
                else:
                    self._pristine = copy_project(self._project.path, holder, self._exclude)
            return self._pristine

    def prepare_source(self, dest: PurePosixPath) -> PurePosixPath:
        pristine = self._pristine_source()
        target = Path(dest) / pristine.name
        shutil.copytree(pristine, target, symlinks=True)
        return PurePosixPath(target)

    def before_all_dir(self) -> PurePosixPath:
        return PurePosixPath(self._pristine_source())

    def copy_tree(self, src: PurePosixPath, dest: PurePosixPath) -> None:
        if Path(src).is_dir():
            shutil.copytree(src, dest, symlinks=True)
        else:
            Path(dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)

    def list_files(self, directory: PurePosixPath, suffix: str) -> list[PurePosixPath]:
        path = Path(directory)
        if not path.is_dir():
            return []
        return sorted(PurePosixPath(p) for p in path.iterdir() if p.name.endswith(suffix))

    def put_file(self, src: Path, dest: PurePosixPath) -> None:
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)

    def copy_out(self, src: PurePosixPath, dest: Path) -> None:
        shutil.copyfile(src, dest)

    def tool_path(self) -> str:
        dirs = [sysconfig.get_path("scripts"), str(Path(sys.executable).parent)]
        uv = self.uv()
        if uv:
            dirs.append(str(Path(uv).parent))
        return os.pathsep.join(dict.fromkeys(dirs))

    def uv(self) -> str | None:
        return self._uv

    def debug_shell(self, cwd: PurePosixPath, env: Mapping[str, str]) -> None:
        shell = os.environ.get("SHELL") or "sh"
        subprocess.run([shell], cwd=str(cwd), env={**os.environ, **env}, check=False)

    def cancel(self) -> None:
        for proc in self._processes.cancel():
            _stop(proc)

    def close(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)

    def keep(self) -> str | None:
        return None  # temp dirs are always removed; the logs hold what happened


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

    def __init__(self, project: Project, exclude: set[Path]) -> None:
        self._project = project
        self._exclude = exclude

    def open(self, image: str, arch: str) -> NativeExecutor:
        return NativeExecutor(self._project, self._exclude)

    def identity(self, image: str, python: str) -> str:
        real = os.path.realpath(python)
        try:
            stat = os.stat(real)
        except OSError:
            return f"native:{real}"
        return f"native:{real}:{stat.st_size}:{stat.st_mtime_ns}"
