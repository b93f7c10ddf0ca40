"""What goes into a container besides the project (backends/container_tools.py): decided from
the image probe, host facts and options alone, with no container."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from manywheel.backends.container_tools import (
    UV_OFF,
    CacheMounts,
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
from manywheel.backends.forwarding import CA_IN_CONTAINER
from manywheel.backends.image_probe import ImageProbe
from manywheel.backends.tar_transfer import HostFile, Symlink
from manywheel.caching.compiler_cache import Notes
from manywheel.errors import EnvironmentProblem

UV_DIR = Path("/home/u/.cache/image-caches/img")  # uv's cache and the kept build environments
CCACHE_DIR = Path("/home/u/.cache/ccache/img")
AUTO = ContainerCaches(image=UV_DIR, ccache=CCACHE_DIR, compiler_cache="auto")
UV_MOUNT = f"{UV_DIR}:/manywheel-cache/image"
CCACHE_MOUNT = f"{CCACHE_DIR}:/manywheel-cache/ccache"


def probe(
    ccache: str | None = None, uv: str | None = None, python: str | None = "/usr/bin/python3"
) -> ImageProbe:
    return ImageProbe(
        env={"PATH": "/usr/bin"}, uv=uv, ccache=ccache, compilers=("cc", "gcc"), python=python
    )


def test_usable_cache_dirs_are_mounted() -> None:
    assert dirs_to_mount(AUTO) == [UV_DIR, CCACHE_DIR]
    assert cache_mounts(AUTO, {}) == CacheMounts(
        ("--volume", UV_MOUNT, "--volume", CCACHE_MOUNT), AUTO
    )


def test_an_unusable_ccache_dir_turns_the_compiler_cache_off_with_a_note() -> None:
    mounts = cache_mounts(AUTO, {CCACHE_DIR: f"{CCACHE_DIR} is not writable"})
    assert mounts.volumes == ("--volume", UV_MOUNT)
    assert mounts.caches.ccache is None
    assert mounts.note == f"compiler cache off: {CCACHE_DIR} is not writable"


def test_an_unusable_image_cache_dir_is_left_out_and_said() -> None:
    mounts = cache_mounts(AUTO, {UV_DIR: f"{UV_DIR} is not writable"})
    said = (
        f"uv's cache and the kept build environments off: {UV_DIR} is not writable (each "
        "job's uv downloads what it installs again, and builds install their requirements "
        "into isolated environments)"
    )
    assert mounts == CacheMounts(
        ("--volume", CCACHE_MOUNT), replace(AUTO, image=None), image_note=said
    )
    # said whether the compiler cache is on or not: uv's cache is off either way
    off = replace(AUTO, compiler_cache="off")
    assert cache_mounts(off, {UV_DIR: f"{UV_DIR} is not writable"}).image_note == said
    assert cache_mounts(AUTO, {}).image_note == ""


def test_compiler_cache_off_neither_checks_nor_mounts_the_ccache_dir() -> None:
    off = ContainerCaches(image=UV_DIR, ccache=CCACHE_DIR, compiler_cache="off")
    assert dirs_to_mount(off) == [UV_DIR]
    assert cache_mounts(off, {}).volumes == ("--volume", UV_MOUNT)
    assert choose_compiler_cache(off, probe("/usr/bin/ccache"), None, image="i", arch="a") == (
        CompilerCacheChoice()
    )


def test_the_images_own_ccache_is_used_and_nothing_searched_on_the_host() -> None:
    image = probe(ccache="/usr/bin/ccache")
    assert not wants_host_ccache(AUTO, image, emulated=False)
    choice = choose_compiler_cache(AUTO, image, None, image="img", arch="x86_64")
    assert choice.cache is not None
    assert choice.cache.ccache == "/usr/bin/ccache"
    assert choice.put_in is None
    assert choice.note == (
        f"compiler cache: /usr/bin/ccache in {CCACHE_DIR} (mounted at /manywheel-cache/ccache)"
    )
    # even with a host ccache at hand, the image's wins
    host = Path("/venv/bin/ccache")
    assert choose_compiler_cache(AUTO, image, host, image="img", arch="x86_64") == choice


def test_a_static_host_ccache_is_put_in_when_the_image_has_none() -> None:
    assert wants_host_ccache(AUTO, probe(), emulated=False)
    host = Path("/venv/bin/ccache")
    choice = choose_compiler_cache(AUTO, probe(), host, image="img", arch="x86_64")
    assert choice.cache is not None
    assert choice.cache.ccache == "/tmp/manywheel-ccache/ccache"
    assert choice.cache.masquerade == "/tmp/manywheel-ccache/cc"
    assert choice.put_in == host


def test_an_emulated_image_gets_no_host_ccache() -> None:
    # the host's static ccache is built for the host's arch
    assert not wants_host_ccache(AUTO, probe(), emulated=True)


def test_no_ccache_anywhere_is_a_note_for_auto_and_an_error_for_ccache() -> None:
    choice = choose_compiler_cache(AUTO, probe(), None, image="img", arch="aarch64")
    assert choice.cache is None
    assert choice.note.startswith("compiler cache off: the image img has no ccache")
    assert "for aarch64" in choice.note
    required = ContainerCaches(image=UV_DIR, ccache=CCACHE_DIR, compiler_cache="ccache")
    with pytest.raises(EnvironmentProblem, match="no usable ccache was found in the image img"):
        choose_compiler_cache(required, probe(), None, image="img", arch="aarch64")


def test_uv_is_put_in_only_for_an_emulated_image_without_one() -> None:
    assert wants_foreign_uv(probe(), emulated=True)
    assert not wants_foreign_uv(probe(uv="/usr/local/bin/uv"), emulated=True)
    assert not wants_foreign_uv(probe(), emulated=False)


def test_everything_put_in_beside_the_project() -> None:
    ca, host_ccache, uv = Path("/etc/ssl/ca.pem"), Path("/venv/bin/ccache"), Path("/c/uv")
    choice = choose_compiler_cache(AUTO, probe(), host_ccache, image="img", arch="x86_64")
    members = tools_to_put_in(probe(), ca_bundle=ca, compiler_cache=choice, uv=uv)
    tools = PurePosixPath("/tmp/manywheel-ccache")
    assert list(members) == [
        HostFile(ca, PurePosixPath(CA_IN_CONTAINER)),
        HostFile(host_ccache, tools / "ccache", 0o755),
        Symlink(tools / "cc" / "cc", str(tools / "ccache")),  # only the image's compilers
        Symlink(tools / "cc" / "gcc", str(tools / "ccache")),
        HostFile(uv, PurePosixPath("/tmp/manywheel-uv/uv"), 0o755),
    ]


def test_the_images_own_ccache_gets_symlinks_but_is_not_put_in() -> None:
    image = probe(ccache="/usr/bin/ccache")
    choice = choose_compiler_cache(AUTO, image, None, image="img", arch="x86_64")
    members = tools_to_put_in(image, ca_bundle=None, compiler_cache=choice, uv=None)
    link = PurePosixPath("/tmp/manywheel-ccache/cc")
    assert list(members) == [
        Symlink(link / "cc", "/usr/bin/ccache"),
        Symlink(link / "gcc", "/usr/bin/ccache"),
    ]


def test_nothing_is_put_in_without_a_ca_cache_or_uv() -> None:
    members = tools_to_put_in(
        probe(), ca_bundle=None, compiler_cache=CompilerCacheChoice(), uv=None
    )
    assert list(members) == []


def test_an_emulated_image_without_uv_is_said_once_on_the_run_output(tmp_path: Path) -> None:
    """uv for the image's arch could not be had, or does not run there: venv and pip make the
    environments, slowly under QEMU; said once on the run's output (the executor's uv notes
    announce what begins with UV_OFF), and in each job log. uv put in is said in logs only."""
    said: list[str] = []
    off = Notes(said.append, off=UV_OFF)
    why = "the image has none, and none for s390x could be had (uv publishes no build for s390x)"
    off.text = uv_off_note("img:1", "s390x", why)
    put_in = Notes(said.append, off=UV_OFF)
    put_in.text = "uv: uv 0.13.9, put in (the image img:1 has none)"
    for log in [tmp_path / "a.log", tmp_path / "b.log"] * 2:
        off.say(log)
        put_in.say(log)
    assert said == [
        "uv off: the image has none, and none for s390x could be had (uv publishes no build "
        "for s390x): venv and pip make the environments in img:1 (s390x), slowly under QEMU"
    ]
    assert (tmp_path / "b.log").read_text().count("uv off: ") == 1


def test_an_image_of_the_hosts_arch_without_uv_is_said() -> None:
    """Its environments are made with venv and pip, its builds isolated: said (the executor's
    uv notes announce it once on the run's output); nothing for an image with uv, nor for an
    emulated one (it gets the host's release, or says why not: above)."""
    assert image_without_uv(probe(), "img:1", "x86_64", emulated=False) == (
        "uv off: the image img:1 (x86_64) has none: venv and pip make the environments, and "
        "the default build frontend is build (pypa/build) instead of uv, without kept build "
        "environments (unchanged files are preprocessed again)"
    )
    assert image_without_uv(probe(uv="/usr/bin/uv"), "img:1", "x86_64", emulated=False) == ""
    assert image_without_uv(probe(), "img:1", "aarch64", emulated=True) == ""
