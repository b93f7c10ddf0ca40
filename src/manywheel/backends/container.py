"""The container executor: one long-lived container per (image, arch) group.

The project goes in as a tar stream (never a writable bind mount of the user's tree); wheels
come out with ``exec cat``. The container is removed by ``close``, on success, error and Ctrl-C.
"""

from __future__ import annotations

import io
import shlex
import signal
import subprocess
import tarfile
import tempfile
import threading
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from manywheel.backends.engine import Engine, platform_args
from manywheel.backends.processes import Processes
from manywheel.errors import EnvironmentProblem
from manywheel.forwarding import CA_IN_CONTAINER, Forwarded
from manywheel.project import Project
from manywheel.sources import copy_project, unpack_sdist

PROJECT_DIR = PurePosixPath("/project")
WORK_ROOT = PurePosixPath("/tmp/manywheel")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ContainerExecutor:
    kind = "container"

    def __init__(
        self,
        engine: Engine,
        image: str,
        arch: str,
        *,
        emulated: bool,
        project: Project,
        exclude: set[Path],
        forwarded: Forwarded,
    ) -> None:
        self.engine = engine
        self.image = image
        self.arch = arch
        self.name = f"manywheel-{uuid.uuid4().hex[:12]}"
        self._prefix = ["linux32"] if arch in ("i686", "armv7l") and not emulated else []
        self._forwarded = forwarded
        self._lock = threading.Lock()
        self._processes = Processes()
        self._counter = 0
        self._started = False
        self._start(emulated)
        try:
            self._base_env = self._read_env()
            self._copy_project(project, exclude)
            self._uv = self._which("uv")
        except BaseException:
            self.close()
            raise

    # -- lifecycle -------------------------------------------------------------------------
    def _start(self, emulated: bool) -> None:
        argv = self.engine.command(
            "run",
            "--detach",
            "--name",
            self.name,
            "--label",
            "manywheel=1",
            "--env",
            f"PATH={DEFAULT_PATH}",
        )
        argv += platform_args(self.engine, self.image, self.arch, emulated)
        argv += [*self.engine.create_args, self.image, *self._prefix, "sleep", "infinity"]
        proc = subprocess.run(
            argv, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL, timeout=300
        )
        self._started = True  # even a failed run may leave a created container behind
        if proc.returncode != 0:
            self.close()
            lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
            raise EnvironmentProblem(
                f"{self.engine.name} could not start a container from '{self.image}' "
                f"({lines[-1] if lines else proc.returncode}). Check that the image runs "
                f"('{self.engine.name} run --rm {self.image} true') and the engine's "
                "configuration ('manywheel doctor')."
            )

    def close(self) -> None:
        if not self._started:
            return
        # podman waits 10 s for `sleep` (PID 1 ignores SIGTERM) unless told not to
        no_wait = ["--time", "0"] if self.engine.name == "podman" else []
        subprocess.run(
            self.engine.command("rm", "--force", *no_wait, self.name),
            capture_output=True,
            check=False,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        self._started = False

    def keep(self) -> str | None:
        self._started = False  # close() leaves it alone now
        engine = self.engine.name
        return (
            f"kept container {self.name} for inspection: enter it with "
            f"'{engine} exec -it {self.name} sh' (work dirs under {WORK_ROOT}); remove it "
            f"with '{engine} rm -f {self.name}'"
        )

    def debug_shell(self, cwd: PurePosixPath, env: Mapping[str, str]) -> None:
        argv = self._exec(["sh"], cwd=cwd, env={**self._forwarded.env, **env}, interactive=True)
        argv.insert(2, "--tty")
        subprocess.run(argv, check=False)

    def cancel(self) -> None:
        for proc in self._processes.cancel():
            proc.send_signal(signal.SIGTERM)
        # the commands inside the container stop with it, in close()

    # -- plumbing ----------------------------------------------------------------------------
    def _exec(
        self,
        argv: Sequence[str],
        *,
        cwd: PurePosixPath | None = None,
        env: Mapping[str, str] | None = None,
        interactive: bool = False,
    ) -> list[str]:
        cmd = self.engine.command("exec")
        if interactive:
            cmd.append("--interactive")
        if cwd is not None:
            cmd += ["--workdir", str(cwd)]
        for key, value in (env or {}).items():
            cmd += ["--env", f"{key}={value}"]
        return [*cmd, self.name, *self._prefix, *argv]

    def _capture(self, argv: Sequence[str]) -> str:
        proc = subprocess.run(
            self._exec(argv),
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            timeout=600,
        )
        if proc.returncode != 0:
            raise EnvironmentProblem(
                f"in the {self.image} container, '{shlex.join(argv)}' failed: "
                f"{proc.stderr.strip()[-300:]}"
            )
        return proc.stdout

    def _which(self, tool: str) -> str | None:
        out = subprocess.run(
            self._exec(["sh", "-c", f"command -v {tool}"]),
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        path = out.stdout.strip()
        return path if out.returncode == 0 and path else None

    def _read_env(self) -> dict[str, str]:
        env = {}
        for line in self._capture(["env"]).splitlines():
            key, sep, value = line.partition("=")
            if sep:
                env[key] = value
        return env

    def _put_tar(
        self,
        dest: PurePosixPath,
        build: tarfile.TarFile | None,
        source: Path | None,
        extra: Mapping[str, bytes] | None = None,
    ) -> None:
        """Stream a tar archive of ``source`` (and extra files) into ``dest``."""
        self._capture(["mkdir", "-p", str(dest)])
        proc = subprocess.Popen(
            self._exec(["tar", "-x", "-f", "-", "-C", str(dest)], interactive=True),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert proc.stdin is not None
        with tarfile.open(fileobj=proc.stdin, mode="w|") as tar:
            if source is not None:
                tar.add(source, arcname=".")
            for name, data in (extra or {}).items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
        proc.stdin.close()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise EnvironmentProblem(f"copying files into the container failed: {err[-300:]}")

    def _copy_project(self, project: Project, exclude: set[Path]) -> None:
        with tempfile.TemporaryDirectory(prefix="manywheel-copy-") as tmp:
            if project.is_sdist:
                src = unpack_sdist(project.path, Path(tmp))
            else:
                src = copy_project(project.path, Path(tmp), exclude)
            self._put_tar(PROJECT_DIR, None, src)
        ca = self._forwarded.ca_bundle
        if ca is not None:
            ca_path = PurePosixPath(CA_IN_CONTAINER)
            self._put_tar(ca_path.parent, None, None, {ca_path.name: ca.read_bytes()})

    # -- the Executor protocol -------------------------------------------------------------
    def base_environment(self) -> Mapping[str, str]:
        return {**self._base_env, **self._forwarded.env}

    def run(
        self, argv: Sequence[str], *, cwd: PurePosixPath | None, env: Mapping[str, str], log: Path
    ) -> int:
        full = {**self._forwarded.env, "UV_CACHE_DIR": "/tmp/manywheel-uv-cache", **env}
        return self._processes.run(self._exec(argv, cwd=cwd, env=full), log)

    def make_workdir(self, name: str) -> PurePosixPath:
        with self._lock:
            self._counter += 1
            path = WORK_ROOT / f"{name}-{self._counter}"
        self._capture(["mkdir", "-p", str(path / "tmp")])
        return path

    def prepare_source(self, dest: PurePosixPath) -> PurePosixPath:
        script = 'mkdir -p "$1" && cp -a "$2" "$1/project"'
        self._capture(["sh", "-c", script, "sh", str(dest), str(PROJECT_DIR)])
        return dest / "project"

    def before_all_dir(self) -> PurePosixPath:
        return PROJECT_DIR

    def copy_tree(self, src: PurePosixPath, dest: PurePosixPath) -> None:
        try:
            self._capture(
                [
                    "sh",
                    "-c",
                    'mkdir -p "$(dirname "$2")" && cp -a "$1" "$2"',
                    "sh",
                    str(src),
                    str(dest),
                ]
            )
        except EnvironmentProblem as exc:
            raise OSError(2, f"cannot copy {src}: {exc.message}") from None

    def list_files(self, directory: PurePosixPath, suffix: str) -> list[PurePosixPath]:
        script = 'for f in "$1"/*"$2"; do [ -f "$f" ] && echo "$f"; done; true'
        out = self._capture(["sh", "-c", script, "sh", str(directory), suffix])
        return sorted(PurePosixPath(line) for line in out.splitlines() if line)

    def put_file(self, src: Path, dest: PurePosixPath) -> None:
        self._put_tar(dest.parent, None, None, {dest.name: src.read_bytes()})

    def copy_out(self, src: PurePosixPath, dest: Path) -> None:
        with dest.open("wb") as fh:
            proc = subprocess.run(
                self._exec(["cat", str(src)]),
                stdout=fh,
                stderr=subprocess.PIPE,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        if proc.returncode != 0:
            raise OSError(
                5,
                f"copying {src} out of the container failed: "
                f"{proc.stderr.decode(errors='replace').strip()[-300:]}",
            )

    def tool_path(self) -> str:
        return "/usr/local/bin"

    def uv(self) -> str | None:
        return self._uv
