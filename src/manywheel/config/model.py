"""The resolved, frozen options object that the rest of manywheel reads."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

EnvPairs = tuple[tuple[str, str], ...]

DEFAULT_REPAIR_COMMAND = "auditwheel repair -w {dest_dir} {wheel}"
DEFAULT_AUDIT_COMMAND = "abi3audit --strict --report {abi3_wheel}"  # as cibuildwheel 4


@dataclass(frozen=True)
class BuildFrontend:
    """The build-frontend option: the frontend's name and extra arguments for its command
    (cibuildwheel's ``pip; args: --no-build-isolation``)."""

    name: str = "default"
    args: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.name}; args: {shlex.join(self.args)}" if self.args else self.name


@dataclass(frozen=True)
class Options:
    """Options in force for one build identifier (or the run, for run-wide keys).

    Field names are the option names with ``-`` turned into ``_``; ``images`` holds every
    ``{manylinux,musllinux}-{arch}-image`` key as ``(kind-arch, value)`` pairs.
    """

    # run-wide
    build: str = "*"
    skip: str = ""
    test_skip: str = ""
    archs: tuple[str, ...] = ("auto",)
    enable: tuple[str, ...] = ()
    platform: str = "native"
    container_engine: str = "auto"
    keep_container: bool = False
    cache: bool = True
    cache_size: int = 4096
    compiler_cache: str = "auto"
    output_dir: str = "wheelhouse"
    log_dir: str = ""
    jobs: int = 0
    fail_fast: bool = False
    project_requires_python: str = ""
    allow_empty: bool = False
    interpreters: tuple[str, ...] = ()
    toolchain: str = "default"
    manylinux_policy: str = ""
    # per identifier
    build_frontend: BuildFrontend = BuildFrontend()
    config_settings: EnvPairs = ()
    environment: EnvPairs = ()
    environment_pass: tuple[str, ...] = ()
    before_all: str = ""
    before_build: str = ""
    repair_wheel_command: str = DEFAULT_REPAIR_COMMAND
    audit_requires: tuple[str, ...] = ("abi3audit",)
    audit_command: str = DEFAULT_AUDIT_COMMAND
    test_requires: tuple[str, ...] = ()
    test_groups: tuple[str, ...] = ()
    test_extras: tuple[str, ...] = ()
    test_sources: tuple[str, ...] = ()
    test_environment: EnvPairs = ()
    before_test: str = ""
    test_command: str = ""
    free_threaded_gil: str = "warn"
    build_verbosity: int = 0
    system_packages: tuple[str, ...] = ()
    images: tuple[tuple[str, str], ...] = field(default=())

    def image(self, kind: str, arch: str) -> str:
        return dict(self.images).get(f"{kind}-{arch}", "")
