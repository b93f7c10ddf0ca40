"""Cross builds (--toolchain zig, a foreign arch): build and repair on the host, test in the
target image's container under QEMU (--platform podman/docker) or not at all (native).

One group executor holds both sides: the host executor runs the build and repair (the
pipeline's executor, as for any native job), the container runs the test (the pipeline moves
the repaired wheel over; see run/pipeline.py and base.SplitExecutor). Host-arch groups are opened
by the usual backend: zig is for foreign arches only there.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from manywheel.backends.background_start import BackgroundStart
from manywheel.backends.base import Backend, GroupExecutor, Mask
from manywheel.backends.engine import (
    Engine,
    check_binfmt,
    ensure_image,
    platform_args,
)
from manywheel.backends.engine import (
    image_id as engine_image_id,
)
from manywheel.backends.native import NativeBackend, NativeExecutor
from manywheel.caching.kept_envs import BuildEnvRoot
from manywheel.caching.key_inputs import digest
from manywheel.errors import CleanupFailed, EnvironmentProblem
from manywheel.planning.interpreters import Interpreter, host_arch
from manywheel.planning.plan import GroupSpec, Job
from manywheel.toolchains import sysroot
from manywheel.toolchains.target import (
    LAYOUT,
    TargetFacts,
    cross_root,
    read_facts,
)


def python_key(job_or_interp: Job | Interpreter) -> tuple[tuple[int, int], bool]:
    ident = job_or_interp.identifier
    return ident.version, ident.free_threaded


class TargetFactsSource:
    """What a cross build needs of one image, read once per image ID (disk cache): its
    interpreters' facts, and its system libraries and headers (the sysroot)."""

    def __init__(self, engine: Engine, image: str, arch: str) -> None:
        self.engine, self.image, self.arch = engine, image, arch
        self._lock = threading.Lock()

    def facts(self, python: str) -> TargetFacts:
        with self._lock:  # one emulated run per interpreter, even with jobs in parallel
            entry = self._entry()
            final = entry / f"{digest({'python': python})[:16]}-{LAYOUT}"
            where = f"'{self.image}' ({python})"
            facts = read_facts(self._argv(final, "facts.json", python), final, self.platform, where)
            root = entry / f"sysroot-{sysroot.LAYOUT}"
            argv = self._argv(root, "sysroot.json", python)
            return dataclasses.replace(facts, sysroot=sysroot.read_sysroot(argv, root, self.image))

    @property
    def platform(self) -> str:
        return f"linux-{self.arch}"

    def _entry(self) -> Path:
        """The image's cache dir, named by its ID (pulled first if need be)."""
        ensure_image(self.engine, self.image, "manylinux", self.arch, emulated=True)
        return cross_root() / _safe(engine_image_id(self.engine, self.image))

    def _argv(self, final: Path, marker: str, python: str) -> list[str]:
        """Run ``python`` reading a script from stdin in the image (binfmt checked first when
        the entry is still to be filled)."""
        if not (final / marker).is_file():
            check_binfmt(host_arch(), self.arch)
        argv = [*self.engine.command("run", "--rm", "--interactive")]
        argv += platform_args(self.engine, self.image, self.arch, emulated=True)
        return [*argv, self.image, python, "-"]


def _safe(image_id: str) -> str:
    return image_id.replace(":", "-").replace("/", "-")[:80] or "unknown"


class CrossExecutor:
    """A foreign-arch group: the host builds and repairs with zig, ``tester`` tests."""

    kind = "native"

    def __init__(
        self,
        builder: NativeExecutor,
        tester: GroupExecutor | None,
        facts: TargetFactsSource,
        host_pythons: Mapping[tuple[tuple[int, int], bool], str],
    ) -> None:
        self.builder = builder
        # the test container comes up while the host builds (background_start.py)
        self._tester = BackgroundStart(tester) if tester is not None else None
        self._facts = facts
        self._host_pythons = host_pythons

    # -- SplitExecutor
    def started_tester(self) -> GroupExecutor | None:
        return self._tester.ready() if self._tester is not None else None

    def build_job(self, job: Job) -> Job:
        """The job as the host builds it: a host CPython of the same version."""
        python = self._host_pythons.get(python_key(job))
        if python is None:
            major, minor = job.identifier.version
            raise EnvironmentProblem(
                f"{job.name}: a cross build needs a host CPython {major}.{minor} "
                "to run the build backend in, and none was found. Install one (pyenv, uv "
                "python install) or list it in the 'interpreters' option."
            )
        return dataclasses.replace(job, python=python)

    def target_facts(self, job: Job) -> TargetFacts:
        return self._facts.facts(job.python)

    def no_test_reason(self) -> str:
        return (
            f"the wheel is for {self._facts.arch}, which this {host_arch()} machine cannot run "
            "without its image: build with --platform podman or docker to test it in the "
            f"target image under QEMU ({self._facts.image})"
        )

    # -- lifecycle
    def start(self) -> None:
        self.builder.start()
        if self._tester is not None:
            self._tester.start()

    def cancel(self) -> None:
        self.builder.cancel()
        if self._tester is not None:
            self._tester.cancel()

    def close(self) -> None:
        problems = []
        for side in (self.builder, self._tester):
            try:
                if side is not None:
                    side.close()
            except CleanupFailed as exc:
                problems.append(exc.message)
        if problems:
            raise CleanupFailed(" ".join(problems))

    def keep(self) -> str | None:
        kept = self._tester.keep() if self._tester is not None else None
        if kept is not None:
            self.builder.close()  # the host side holds nothing worth inspecting
        return kept

    def debug_shell(self, cwd: PurePosixPath, env: Mapping[str, str]) -> None:
        self.builder.debug_shell(cwd, env)

    # -- the build side's Executor
    def make_workdir(self, name: str) -> PurePosixPath:
        return self.builder.make_workdir(name)

    def drop_workdir(self, path: PurePosixPath) -> None:
        self.builder.drop_workdir(path)  # the tester's dirs are removed with it, by close

    def before_all_dir(self) -> PurePosixPath:
        return self.builder.before_all_dir()

    def base_environment(self) -> Mapping[str, str]:
        return self.builder.base_environment()

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: PurePosixPath | None,
        env: Mapping[str, str],
        log: Path,
        mask: Mask | None = None,
    ) -> int:
        return self.builder.run(argv, cwd=cwd, env=env, log=log, mask=mask)

    def prepare_source(self, dest: PurePosixPath) -> PurePosixPath:
        return self.builder.prepare_source(dest)

    def list_files(self, directory: PurePosixPath, suffix: str) -> list[PurePosixPath]:
        return self.builder.list_files(directory, suffix)

    def put_file(self, src: Path, dest: PurePosixPath) -> None:
        self.builder.put_file(src, dest)

    def copy_out(self, src: PurePosixPath, dest: Path) -> None:
        self.builder.copy_out(src, dest)

    def tool_path(self) -> str:
        return self.builder.tool_path()

    def uv(self) -> str | None:
        return self.builder.uv()

    def build_envs(self) -> BuildEnvRoot | None:
        return self.builder.build_envs()


class CrossBackend:
    """Opens a CrossExecutor for foreign-arch groups, the usual backend's for the host's."""

    def __init__(
        self,
        host_backend: Backend,
        native: NativeBackend,
        engine: Callable[[], Engine],
        tester_backend: Backend | None,
        host_pythons: Sequence[Interpreter],
    ) -> None:
        self.name = host_backend.name
        self._host = host_backend
        self._native = native
        self._engine = engine  # asked for only when a foreign arch needs its image
        self._tester = tester_backend
        # CPythons only: PyPy is never cross-built (planning/platforms.py, cross_candidates)
        self._pythons = {python_key(i): i.path for i in host_pythons if not i.identifier.is_pypy}
        self._sources: dict[str, TargetFactsSource] = {}

    def _cross(self, arch: str) -> bool:
        return arch != host_arch()

    def open(self, group: GroupSpec) -> GroupExecutor:
        if not self._cross(group.arch):
            return self._host.open(group)
        source = self._sources.setdefault(
            group.image,
            TargetFactsSource(self._engine(), group.image, group.arch),
        )
        tester = self._tester.open(group) if self._tester is not None else None
        return CrossExecutor(self._native.open(group), tester, source, self._pythons)

    def identity(self, job: Job) -> str | None:
        if not self._cross(job.identifier.arch):
            return self._host.identity(job)
        host_python = self._pythons.get(python_key(job), "")
        built_as = dataclasses.replace(job, python=host_python)
        parts = {
            "host": self._native.identity(built_as),
            "image_id": engine_image_id(self._engine(), job.image),
            "python": job.python,
            "tester": self._tester.identity(job) if self._tester is not None else "",
        }
        if None in parts.values() or parts["image_id"] == "unknown":
            return None  # an image not pulled yet: known once the group started
        return "cross:" + digest(parts)
