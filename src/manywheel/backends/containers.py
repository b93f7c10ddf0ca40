"""Container backends (docker, podman): candidates per image, and one executor per group."""

from __future__ import annotations

import functools
import os
import re
import subprocess
from pathlib import Path

from manywheel.backends.container import ContainerExecutor
from manywheel.backends.engine import (
    Engine,
    check_binfmt,
    choose_engine,
    ensure_image,
    needs_emulation,
    platform_args,
)
from manywheel.config.model import Options
from manywheel.errors import EnvironmentProblem
from manywheel.forwarding import forward_environment
from manywheel.identifiers import PLATFORM_KINDS, Identifier, universe
from manywheel.images import ImageChoice, python_versions, resolve_image
from manywheel.interpreters import host_arch
from manywheel.plan import Candidate, resolve_archs
from manywheel.project import Project
from manywheel.selectors import Selector

_PY_DIR = re.compile(r"^cp3(\d+)-cp3\d+(t?)$")


@functools.lru_cache(maxsize=4)
def engine_for(platform: str, container_engine: str) -> Engine:
    return choose_engine(platform, container_engine, "container-engine")


def _pinned_candidates(kind: str, arch: str, image: ImageChoice) -> list[Candidate]:
    out = []
    for version in python_versions(image.policy):
        free = version.endswith("t")
        major, minor = (int(x) for x in version.rstrip("t").split("."))
        ident = Identifier((major, minor), free, kind, arch)  # type: ignore[arg-type]
        tag = f"cp{major}{minor}"
        python = f"/opt/python/{tag}-{tag}{'t' if free else ''}/bin/python"
        out.append(Candidate(ident, f"{major}.{minor}.99", python, image.reference))
    return out


def _discovered_candidates(engine: Engine, kind: str, arch: str, image: str) -> list[Candidate]:
    """Custom images: the interpreters are whatever /opt/python/* holds."""
    emulated = needs_emulation(host_arch(), arch)
    check_binfmt(host_arch(), arch)
    ensure_image(engine, image, kind, arch, emulated)
    argv = [*engine.command("run", "--rm"), *platform_args(engine, image, arch, emulated)]
    argv += [image, "sh", "-c", "ls /opt/python 2>/dev/null || true"]
    proc = subprocess.run(
        argv, capture_output=True, text=True, check=False, timeout=600, stdin=subprocess.DEVNULL
    )
    if proc.returncode != 0:
        raise EnvironmentProblem(
            f"cannot list /opt/python in '{image}' with {engine.name}: "
            f"{proc.stderr.strip()[-300:]}. Check that the image runs."
        )
    out = []
    for entry in proc.stdout.split():
        match = _PY_DIR.match(entry)
        if match:
            minor, free = int(match[1]), bool(match[2])
            ident = Identifier((3, minor), free, kind, arch)  # type: ignore[arg-type]
            out.append(Candidate(ident, f"3.{minor}.99", f"/opt/python/{entry}/bin/python", image))
    return out


def _may_build(run: Options, kind: str, arch: str) -> bool:
    build, skip = Selector(run.build, "build"), Selector(run.skip, "skip")
    return any(
        build.matches(ident) and not skip.matches(ident)
        for ident in universe()
        if ident.kind == kind and ident.arch == arch
    )


def container_candidates(run: Options) -> list[Candidate]:
    host = host_arch()
    archs = resolve_archs(run.archs, host, run.platform, "archs")
    out: list[Candidate] = []
    for arch in sorted(archs):
        for kind in PLATFORM_KINDS:
            if not _may_build(run, kind, arch):
                continue  # don't look into images no selected identifier needs
            source = f"{kind}-{arch}-image"
            image = resolve_image(run.image(kind, arch), kind, arch, source)
            if image.pinned:
                out += _pinned_candidates(kind, arch, image)
            else:
                engine = engine_for(run.platform, run.container_engine)
                out += _discovered_candidates(engine, kind, arch, image.reference)
    return out


class ContainerBackend:
    def __init__(self, engine: Engine, project: Project, run: Options, exclude: set[Path]) -> None:
        self.name = engine.name
        self._engine = engine
        self._project = project
        self._exclude = exclude
        self._forwarded = forward_environment(os.environ, run.environment_pass)

    def identity(self, image: str, python: str) -> str:
        return f"{self._engine.name}:{image}:{self._image_id(image)}:{python}"

    @functools.lru_cache(maxsize=16)  # noqa: B019 - one backend per run
    def _image_id(self, image: str) -> str:
        proc = subprocess.run(
            self._engine.command("image", "inspect", "--format", "{{.Id}}", image),
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        return proc.stdout.strip() if proc.returncode == 0 else "unknown"

    def open(self, image: str, arch: str) -> ContainerExecutor:
        host = host_arch()
        emulated = needs_emulation(host, arch)
        check_binfmt(host, arch)
        # the group is (image, arch): the image option may be manylinux's or musllinux's
        ensure_image(self._engine, image, "{manylinux,musllinux}", arch, emulated)
        return ContainerExecutor(
            self._engine,
            image,
            arch,
            emulated=emulated,
            project=self._project,
            exclude=self._exclude,
            forwarded=self._forwarded,
        )


def container_backend(project: Project, run: Options, exclude: set[Path]) -> ContainerBackend:
    return ContainerBackend(engine_for(run.platform, run.container_engine), project, run, exclude)
