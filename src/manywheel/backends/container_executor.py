"""The container executor: one long-lived container per group of jobs.

A thin class over the parts that do the work: container_commands.py (the engine's commands,
each through one process tracker, so cancel() stops copies as well as builds; environment
values never on a command line), image_probe.py (what the image has), container_tools.py
(what is mounted and put in besides the project), container_runner.py (the jobs' commands
through one long-lived runner in the container, or one exec each where the image has no
Python for it or runs under QEMU) and tar_transfer.py (the project in as a tar stream,
never a writable bind mount of the user's tree; wheels out with ``cat``). The container is
removed by ``close``, on success, error and Ctrl-C.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path, PurePosixPath

from manywheel.backends.base import Mask
from manywheel.backends.container_commands import ContainerCommands
from manywheel.backends.container_layout import (
    BUILD_ENVS,
    DEFAULT_PATH,
    PROJECT_DIR,
    UV_CACHE,
    UV_PUT_IN,
    WORK_ROOT,
)
from manywheel.backends.container_runner import ContainerRunner
from manywheel.backends.container_tools import (
    IMAGE_CACHE_OFF,
    UV_OFF,
    CompilerCacheChoice,
    ContainerCaches,
    cache_mounts,
    choose_compiler_cache,
    dirs_to_mount,
    image_without_uv,
    tools_to_put_in,
    uv_off_note,
    wants_foreign_uv,
    wants_host_ccache,
)
from manywheel.backends.engine import Engine, check_binfmt, ensure_image, image_id
from manywheel.backends.foreign_uv import NoForeignUv, foreign_uv
from manywheel.backends.forwarding import Forwarded
from manywheel.backends.image_probe import (
    ImageProbe,
    keep_probe,
    kept_probe,
    probe_image,
    probe_keepable,
)
from manywheel.backends.processes import Processes
from manywheel.backends.tar_transfer import copy_out, put_file, put_project
from manywheel.caching.compiler_cache import (
    CompilerCache,
    Notes,
    cache_home,
    find_static_ccache,
    usable_dir,
)
from manywheel.caching.kept_envs import BuildEnvRoot
from manywheel.errors import EnvironmentProblem, ManywheelError
from manywheel.planning.interpreters import host_arch
from manywheel.planning.project import Project
from manywheel.planning.source_copy import copy_project, unpack_sdist


class ContainerExecutor:
    kind = "container"

    def __init__(
        self,
        engine: Engine,
        image: str,
        arch: str,
        *,
        kind: str = "",
        emulated: bool,
        project: Project,
        exclude: set[Path],
        forwarded: Forwarded,
        caches: ContainerCaches | None = None,
        announce: Callable[[str], None] | None = None,
    ) -> None:
        self.engine = engine
        self.image = image
        self.arch = arch
        self._image_kind = kind  # manylinux or musllinux: whose image option names the image
        self._emulated = emulated
        self._project = project
        self._exclude = exclude
        self._forwarded = forwarded
        self._lock = threading.Lock()
        self._processes = Processes()
        self._commands = ContainerCommands(
            engine, image, arch, emulated=emulated, processes=self._processes
        )
        self.name = self._commands.name
        self._runner = ContainerRunner(self._commands)
        self._counter = 0
        self._created = False
        self._base_env: dict[str, str] = {}
        self._uv: str | None = None
        self._project_dir = PROJECT_DIR
        self._caches = caches or ContainerCaches()
        self._compiler_cache: CompilerCache | None = None
        self._notes = Notes(announce)
        self._image_notes = Notes(announce, off=IMAGE_CACHE_OFF)
        self._uv_notes = Notes(announce, off=UV_OFF)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        check_binfmt(host_arch(), self.arch)
        kind = self._image_kind or "{manylinux,musllinux}"
        ensure_image(self.engine, self.image, kind, self.arch, self._emulated)
        with (
            tempfile.TemporaryDirectory(prefix="manywheel-copy-") as tmp,
            ThreadPoolExecutor(1, thread_name_prefix="manywheel-copy") as pool,
        ):
            # the host copy of the project overlaps the container's start-up
            copied = pool.submit(self._host_copy, Path(tmp))
            self._run_container()
            probe = self._probe()  # through the runner, when it is the first process
            self._base_env, self._uv = dict(probe.env), probe.uv
            emulated = self._emulated
            self._uv_notes.text = image_without_uv(probe, self.image, self.arch, emulated=emulated)
            uv = self._plan_uv(probe)
            project = copied.result()
            ccache = self._plan_compiler_cache(probe)
            self._put_start_files(project, probe, ccache, uv)
            if uv is not None:
                self._check_uv()

    def _probe(self) -> ImageProbe:
        """The image's probe: kept from an earlier container of the same image ID started the
        same way, else probed now (and kept)."""
        found = image_id(self.engine, self.image)
        if found == "unknown" or not probe_keepable(self.engine.create_args):
            return probe_image(self._capture)
        key = json.dumps([found, self._commands.start_key])
        name = hashlib.sha256(key.encode()).hexdigest()[:16]
        kept = cache_home() / "image-probes" / f"{self.engine.name}-{name}.json"
        probe = kept_probe(kept, key)
        if probe is None:
            probe = probe_image(self._capture)
            keep_probe(kept, key, probe)
        return probe

    def _host_copy(self, tmp: Path) -> Path:
        if self._project.is_sdist:
            return unpack_sdist(self._project.path, tmp)
        return copy_project(self._project.path, tmp, self._exclude)

    def _run_container(self) -> None:
        """Start the container: with the command runner as its first process; under QEMU
        (where a Python starts slowly, emulated) detached, every command an exec."""
        mounts = self._cache_mounts()
        self._created = True  # even a failed run may leave a created container behind
        if self._emulated:
            self._commands.run_detached(mounts)
            return

        def run_argv(first: list[str]) -> list[str]:
            argv = self._commands.run_argv(mounts, first)
            self._commands.keyed(argv)
            return argv

        self._runner.start_attached(run_argv)

    def close(self) -> None:
        if not self._created:
            self._runner.stop()  # its exec client ends with its input
            return
        # the removal ends the runner's exec client too: not waited for first (0.1-0.2 s)
        self._runner.end_input()
        try:
            self._commands.remove()
        finally:
            self._runner.stop()
        self._created = False

    def keep(self) -> str | None:
        self._created = False  # close() leaves it alone now
        # the runner's client goes (the runner, the container's first process, stays)
        self._runner.stop()
        engine = self.engine.name
        return (
            f"kept container {self.name} for inspection: enter it with "
            f"'{engine} exec -it {self.name} sh' (work dirs under {WORK_ROOT}); remove it "
            f"and its volumes with '{engine} rm -f {self.name} && {engine} volume rm "
            f"{' '.join(self._commands.volumes)}'"
        )

    def debug_shell(self, cwd: PurePosixPath, env: Mapping[str, str]) -> None:
        argv, client = self._commands.exec(
            ["sh"], cwd=cwd, env={**self._forwarded.env, **env}, interactive=True
        )
        argv.insert(2, "--tty")
        subprocess.run(argv, check=False, env={**os.environ, **client})

    def cancel(self) -> None:
        for proc in self._processes.cancel():
            proc.send_signal(signal.SIGTERM)
        self._runner.cancel()  # an attached client passes SIGTERM on to the runner (no end)
        # the commands inside the container stop with it, in close()

    def _capture(self, argv: Sequence[str], stdin: bytes | None = None) -> str:
        return self._commands.capture(argv, stdin, self._runner.run)

    # -- what goes in besides the project (container_tools.py decides) ---------------------
    def _cache_mounts(self) -> list[str]:
        """``--volume`` arguments for the host cache dirs that can be used."""
        problems = {}
        for directory in dirs_to_mount(self._caches):
            problem = usable_dir(directory)  # creates it if missing
            if problem is not None:
                problems[directory] = problem
        mounts = cache_mounts(self._caches, problems)
        if mounts.note:
            self._notes.text = mounts.note
        self._image_notes.text = mounts.image_note
        self._caches = mounts.caches
        return list(mounts.volumes)

    def _plan_compiler_cache(self, probe: ImageProbe) -> CompilerCacheChoice:
        """ccache from the image, or a static one from the host to put in."""
        found = None
        if wants_host_ccache(self._caches, probe, emulated=self._emulated):
            found = find_static_ccache()
        host = None if found is None else Path(found)
        choice = choose_compiler_cache(self._caches, probe, host, image=self.image, arch=self.arch)
        if choice.note:
            self._notes.text = choice.note
        if choice.cache is not None:
            self._compiler_cache = choice.cache
            self._base_env["PATH"] = choice.cache.path(self._base_env.get("PATH", DEFAULT_PATH))
        return choice

    def _plan_uv(self, probe: ImageProbe) -> Path | None:
        """uv for an emulated image without it: the host's release for the image's arch."""
        if not wants_foreign_uv(probe, emulated=self._emulated):
            return None
        try:
            return foreign_uv(self.arch)
        except NoForeignUv as exc:
            why = f"the image has none, and none for {self.arch} could be had ({exc})"
            self._uv_notes.text = uv_off_note(self.image, self.arch, why)
            return None

    def _check_uv(self) -> None:
        try:
            version = self._capture([str(UV_PUT_IN), "--version"]).strip()
        except EnvironmentProblem as exc:
            why = f"the uv for {self.arch} put in does not run there ({exc})"
            self._uv_notes.text = uv_off_note(self.image, self.arch, why)
            return
        self._uv = str(UV_PUT_IN)
        self._uv_notes.text = f"uv: {version}, put in (the image {self.image} has none)"

    def _put_start_files(
        self, project: Path, probe: ImageProbe, ccache: CompilerCacheChoice, uv: Path | None
    ) -> None:
        """The project copy and the tools put in with it: one tar stream (tar_transfer.py)."""
        self._project_dir = PROJECT_DIR / project.name
        members = tools_to_put_in(
            probe,
            ca_bundle=self._forwarded.ca_bundle,
            compiler_cache=ccache,
            uv=uv,
        )
        put_project(self._commands, self._runner, project, self._project_dir, members)

    # -- the Executor protocol -------------------------------------------------------------
    def base_environment(self) -> Mapping[str, str]:
        return {**self._base_env, **self._forwarded.env, **self._cache_env()}

    def _cache_env(self) -> dict[str, str]:
        cache = self._compiler_cache
        if cache is None:
            return {}
        return {**cache.environment(), "PATH": self._base_env["PATH"]}

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
        self._image_notes.say(log)
        self._uv_notes.say(log)
        full = {
            **self._forwarded.env,
            "UV_CACHE_DIR": str(UV_CACHE),
            **self._cache_env(),
            **env,
        }
        if self._compiler_cache is not None:
            # as the command sees it: the image's own variables (its CFLAGS) under the rest
            full.update(self._compiler_cache.command_environment({**self._base_env, **full}))
        if self._runner.python is not None:
            code = self._runner.run_logged(argv, cwd, full, log, mask)
            if code is not None:
                return code
        cmd, client = self._commands.exec(argv, cwd=cwd, env=full)
        return self._processes.run(cmd, log, mask, env={**os.environ, **client})

    def make_workdir(self, name: str) -> PurePosixPath:
        with self._lock:
            self._counter += 1
            path = WORK_ROOT / f"{name}-{self._counter}"
        self._capture(["mkdir", "-p", str(path / "tmp")])
        return path

    def drop_workdir(self, path: PurePosixPath) -> None:
        # the container's volume then has less to remove at the end (podman: 0.4 s for a
        # pycryptodome build's objects, on the run's last step)
        with suppress(ManywheelError):
            self._capture(["rm", "-rf", str(path)])

    def before_all_dir(self) -> PurePosixPath:
        return self._project_dir

    def prepare_source(self, dest: PurePosixPath) -> PurePosixPath:
        pristine = self.before_all_dir()
        script = 'mkdir -p "$1" && cp -a "$2" "$1/"'
        self._capture(["sh", "-c", script, "sh", str(dest), str(pristine)])
        return dest / pristine.name

    def list_files(self, directory: PurePosixPath, suffix: str) -> list[PurePosixPath]:
        script = 'for f in "$1"/*"$2"; do [ -f "$f" ] && echo "$f"; done; true'
        out = self._capture(["sh", "-c", script, "sh", str(directory), suffix])
        return sorted(PurePosixPath(line) for line in out.splitlines() if line)

    def put_file(self, src: Path, dest: PurePosixPath) -> None:
        put_file(self._commands, self._runner, src, dest)

    def copy_out(self, src: PurePosixPath, dest: Path) -> None:
        copy_out(self._commands, self._runner, src, dest)

    def tool_path(self) -> str:
        return "/usr/local/bin"

    def uv(self) -> str | None:
        return self._uv

    def build_envs(self) -> BuildEnvRoot | None:
        host = self._caches.image
        if self._compiler_cache is None or host is None:
            return None
        return BuildEnvRoot(host / BUILD_ENVS.name, BUILD_ENVS)
