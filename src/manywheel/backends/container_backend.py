"""Container backends (docker, podman): one executor per group of jobs."""

from __future__ import annotations

import functools
import json
import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from manywheel.backends.container_executor import ContainerExecutor
from manywheel.backends.container_tools import ContainerCaches
from manywheel.backends.engine import (
    Engine,
    check_binfmt,
    choose_engine,
    ensure_image,
    image_id,
    needs_emulation,
    platform_args,
)
from manywheel.backends.foreign_uv import NoForeignUv, host_uv_version
from manywheel.backends.forwarding import Forwarded, forward_environment
from manywheel.backends.pip_config import pip_config
from manywheel.caching.compiler_cache import cache_home, host_cache_dir, image_dir_name
from manywheel.caching.key_inputs import digest
from manywheel.config.model import Options
from manywheel.errors import EnvironmentProblem
from manywheel.files import atomic_write_text, sha256_file
from manywheel.planning.interpreters import host_arch
from manywheel.planning.plan import GroupSpec, Job
from manywheel.planning.project import Project


@functools.lru_cache(maxsize=4)
def engine_for(platform: str, container_engine: str) -> Engine:
    return choose_engine(platform, container_engine, "container-engine")


class ContainerBackend:
    def __init__(
        self,
        engine: Engine,
        project: Project,
        exclude: set[Path],
        environ: Mapping[str, str] | None = None,
        pip_settings: Mapping[str, str] | None = None,
        *,
        compiler_cache: str = "off",
        announce: Callable[[str], None] | None = None,
    ) -> None:
        self.name = engine.name
        self._announce = announce  # says on the run's output what will not happen
        self._engine = engine
        self._project = project
        self._exclude = exclude
        self._environ = dict(os.environ if environ is None else environ)
        # read once: each group forwards the same settings
        self._pip_settings = pip_config() if pip_settings is None else dict(pip_settings)
        self._compiler_cache = compiler_cache

    def _forwarded(self, environment_pass: tuple[str, ...]) -> Forwarded:
        return forward_environment(self._environ, environment_pass, self._pip_settings)

    def identity(self, job: Job) -> str | None:
        image = image_id(self._engine, job.image)
        if image == "unknown":  # not pulled yet: known once the group started
            return None
        forwarded = self._forwarded(tuple(job.options.environment_pass))
        ca = forwarded.ca_bundle
        return f"{self._engine.name}:" + digest(
            {
                "image": job.image,
                "image_id": image,
                "python": job.python,
                "create_args": self._engine.create_args,
                "forwarded": forwarded.env,
                "ca": sha256_file(ca) if ca else None,
                # an emulated image without uv gets the host's release put in (foreign_uv.py)
                "uv_put_in": _uv_version() if self._emulated(job) else None,
            }
        )

    @staticmethod
    def _emulated(job: Job) -> bool:
        return needs_emulation(host_arch(), job.identifier.arch)

    def open(self, group: GroupSpec) -> ContainerExecutor:
        return ContainerExecutor(
            self._engine,
            group.image,
            group.arch,
            kind=group.kind,
            emulated=needs_emulation(host_arch(), group.arch),
            project=self._project,
            exclude=self._exclude,
            forwarded=self._forwarded(group.environment_pass),
            caches=self._caches(group.image),
            announce=self._announce,
        )

    def _caches(self, image: str) -> ContainerCaches:
        """The host dirs kept across runs for this image, one per image ID: uv's cache with the
        kept build environments, and ccache's (uv and ccache lock their own caches, and each
        environment has its lock, so concurrent jobs and runs share them safely)."""
        found = image_id(self._engine, image)
        if found == "unknown":  # not pulled yet: nothing to share it with
            return ContainerCaches(compiler_cache=self._compiler_cache)
        name = f"{self._engine.name}-{image_dir_name(found)}"
        return ContainerCaches(
            image=cache_home() / "image-caches" / name,
            ccache=host_cache_dir(name),
            compiler_cache=self._compiler_cache,
        )


def container_backend(
    project: Project,
    run: Options,
    exclude: set[Path],
    compiler_cache: str = "off",
    announce: Callable[[str], None] | None = None,
) -> ContainerBackend:
    engine = engine_for(run.platform, run.container_engine)
    return ContainerBackend(
        engine, project, exclude, compiler_cache=compiler_cache, announce=announce
    )


def _uv_version() -> str | None:
    try:
        return host_uv_version()
    except NoForeignUv:
        return None


def image_python_dirs(run: Options, kind: str, arch: str, image: str) -> list[str]:
    """The entries of /opt/python in a custom image: the interpreters it can build with."""
    engine = engine_for(run.platform, run.container_engine)
    emulated = needs_emulation(host_arch(), arch)
    check_binfmt(host_arch(), arch)
    ensure_image(engine, image, kind, arch, emulated)
    found = image_id(engine, image)
    # an image ID names its content: the listing of one is kept, and a run saves a container
    kept = cache_home() / "image-pythons" / f"{engine.name}-{image_dir_name(found)}.json"
    listing = kept_listing(kept, found)
    if listing is not None:
        return listing
    # no network to set up and tear down for a listing: 0.13 s instead of 0.30 s with podman
    argv = [*engine.command("run", "--rm", "--network", "none")]
    argv += [*platform_args(engine, image, arch, emulated), image]
    argv += ["sh", "-c", "ls /opt/python 2>/dev/null || true"]
    proc = subprocess.run(
        argv, capture_output=True, text=True, check=False, timeout=600, stdin=subprocess.DEVNULL
    )
    if proc.returncode != 0:
        raise EnvironmentProblem(
            f"cannot list /opt/python in '{image}' with {engine.name}: "
            f"{proc.stderr.strip()[-300:]}. Check that the image runs."
        )
    listing = proc.stdout.split()
    if found != "unknown":
        keep_listing(kept, found, listing)
    return listing


def kept_listing(path: Path, image: str) -> list[str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("image") != image:
        return None
    listing = data.get("opt_python")
    ok = isinstance(listing, list) and all(isinstance(d, str) for d in listing)
    return listing if ok else None


def keep_listing(path: Path, image: str, listing: list[str]) -> None:
    """Written whole or not at all (a concurrent run reads the old file or the new one)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({"image": image, "opt_python": listing}))
    except OSError:  # the listing is asked again next run
        pass
