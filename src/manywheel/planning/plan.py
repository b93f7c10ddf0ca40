"""The build plan: a pure function of options, project metadata and what the platform offers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from packaging.specifiers import SpecifierSet

from manywheel.config.identifiers import ARCHS, Identifier, universe
from manywheel.config.model import EnvPairs, Options
from manywheel.config.resolve import OptionsResolver
from manywheel.config.selectors import BuildSelection, Selector
from manywheel.errors import ConfigError, NothingToBuildError
from manywheel.planning.dependency_groups import test_group_requirements
from manywheel.planning.project import Project

_AUTO32 = {"x86_64": "i686", "aarch64": "armv7l"}


@dataclass(frozen=True)
class Candidate:
    """An identifier the platform can build, with the interpreter/image that builds it."""

    identifier: Identifier
    python_version: str  # full version used for requires-python (3.12.1, or 3.12.99 if unknown)
    python: str  # interpreter path (host path or path inside the image)
    image: str = ""  # container image, empty for native
    abi: str = ""  # a PyPy's ABI tag (pypy39_pp73) when the platform says; see Job.abi


# where the CPythons of one platform kind and arch come from: this host's, an image's that
# manywheel runs in (native in a pypa image), a pinned pypa image's, a custom image's, or, for
# --toolchain zig's foreign arches, the host's that also are in the target image
Origin = Literal["host", "in-image", "pinned", "image", "cross"]


@dataclass(frozen=True)
class Source:
    """Where one platform kind and arch gets its interpreters: what says why a selected
    identifier of it has no candidate."""

    kind: str
    arch: str
    origin: Origin
    image: str = ""

    def missing(self, identifier: Identifier) -> str:
        """Why this source offers no interpreter for ``identifier``, in a user's words."""
        python = identifier.describe()
        if self.origin == "host":
            return f"no {python} found on this host (PATH, pyenv, /opt/python, uv)"
        if self.origin == "in-image":
            return f"no {python} in this image's /opt/python"
        if self.origin == "pinned":
            return f"the pinned image {self.image} has no {python}"
        if self.origin == "image":
            return f"the image {self.image} has no /opt/python entry for it"
        return f"--toolchain zig needs {python} both on this host and in the image {self.image}"


@dataclass(frozen=True)
class Unavailable:
    """A selected identifier this platform cannot build, and why."""

    identifier: Identifier
    reason: str


@dataclass(frozen=True)
class Job:
    identifier: Identifier
    python: str
    python_version: str
    image: str
    options: Options
    run_tests: bool
    # a PyPy's ABI tag (pypy39_pp73), from the interpreter or its /opt/python directory; empty
    # for a CPython (its identifier says it) or when unknown (steps/wheel_tags.py)
    abi: str = ""

    @property
    def name(self) -> str:
        return str(self.identifier)


@dataclass(frozen=True)
class GroupSpec:
    """What the jobs sharing one executor have in common: everything that runs once per group.

    Jobs are grouped, as cibuildwheel groups its build steps, by image and arch and by what is
    set up once for all of them: system-packages, before-all (with the environment it runs
    in) and the host variables passed into the container.
    """

    image: str
    arch: str
    system_packages: tuple[str, ...] = ()
    before_all: str = ""
    before_all_environment: EnvPairs = ()
    environment_pass: tuple[str, ...] = ()
    # the platform kind (manylinux, musllinux) of the job that named the group: which option
    # names its image (manylinux-x86_64-image). Not part of the key: jobs of both kinds that
    # share an image share its container, whose packages one package manager installs
    kind: str = field(default="", compare=False)

    def describe(self) -> str:
        where = self.image or "the host"
        extra = (
            " (own before-all/system-packages)" if self.before_all or self.system_packages else ""
        )
        return f"{where} [{self.arch}]{extra}"


def group_of(job: Job) -> GroupSpec:
    options = job.options
    return GroupSpec(
        image=job.image,
        arch=job.identifier.arch,
        system_packages=options.system_packages,
        before_all=options.before_all,
        # before-all sees the environment option: jobs that differ in it differ in before-all
        before_all_environment=options.environment if options.before_all else (),
        environment_pass=tuple(sorted(options.environment_pass)),
        kind=job.identifier.kind,
    )


@dataclass(frozen=True)
class Plan:
    platform: str
    jobs: tuple[Job, ...]
    # identifiers the selection names (cp313-*) that no candidate offers: said, never dropped
    # in silence
    unavailable: tuple[Unavailable, ...] = ()

    @property
    def identifiers(self) -> list[str]:
        return [job.name for job in self.jobs]

    def groups(self) -> dict[GroupSpec, list[Job]]:
        """The jobs of each group, in plan order."""
        out: dict[GroupSpec, list[Job]] = {}
        for job in self.jobs:
            out.setdefault(group_of(job), []).append(job)
        return out


def resolve_archs(
    words: Sequence[str], host: str, platform: str, source: str, *, cross: bool = False
) -> set[str]:
    """The archs selected; ``cross`` (--toolchain zig): foreign archs too, natively."""
    archs: set[str] = set()
    for word in words:
        if word in ("auto", "native", "auto64"):  # as cibuildwheel 3: auto is the host's only
            archs.add(host)
        elif word == "auto32":
            archs.update({_AUTO32[host]} if host in _AUTO32 else set())
        elif word == "all":
            archs.update(ARCHS)
        else:
            archs.add(word)
    if platform == "native" and archs - {host} and not cross:
        foreign = ", ".join(sorted(archs - {host}))
        raise ConfigError(
            f"{source}: the native backend builds only for this machine's arch ({host}), "
            f"not {foreign}. Use --platform podman or docker (with QEMU for foreign arches), "
            "or --toolchain zig to cross-compile for them (untested natively), "
            'or set archs = "auto".'
        )
    return archs


def make_plan(
    resolver: OptionsResolver,
    project: Project,
    candidates: Sequence[Candidate],
    host: str,
    only: str | None = None,
    *,
    sources: Sequence[Source] = (),
) -> Plan:
    """The jobs to run; ``sources`` (where each kind and arch gets its interpreters) let the
    plan say which selected identifiers the candidates lack, and why."""
    run = resolver.run
    unavailable: tuple[Unavailable, ...] = ()
    if only is not None:
        wanted = Identifier.parse(only)
        chosen = [c for c in candidates if c.identifier == wanted]
        if not chosen:
            available = " ".join(str(c.identifier) for c in candidates) or "none"
            raise ConfigError(
                f"--only: {only} cannot be built with --platform {run.platform}; available "
                f"here: {available}."
            )
    else:
        build = Selector(run.build, resolver.source_of("build"))
        if not run.build.split():
            raise ConfigError(
                f"{build.source}: the build selector is empty, so it selects "
                "nothing. Use '*' for every identifier, or patterns such as "
                "'cp312-*'."
            )
        skip = Selector(run.skip, resolver.source_of("skip"))
        build.validate()
        if skip.text:
            skip.validate()
        requires = (
            SpecifierSet(run.project_requires_python)
            if run.project_requires_python
            else project.requires_python
        )
        selection = BuildSelection(build, skip, requires, frozenset(run.enable))
        archs = resolve_archs(
            run.archs, host, run.platform, resolver.source_of("archs"), cross=run.toolchain == "zig"
        )
        chosen = [
            c
            for c in candidates
            if c.identifier.arch in archs and selection.selected(c.identifier, c.python_version)
        ]
        unavailable = unbuildable(selection, archs, candidates, sources)
        if not chosen and not run.allow_empty:
            raise NothingToBuildError(
                _why_nothing(resolver, project, candidates, archs, unavailable, selection=selection)
            )
    test_skip = Selector(run.test_skip, resolver.source_of("test-skip"))
    jobs = []
    for cand in sorted(chosen, key=lambda c: (c.identifier.arch, c.identifier)):
        options = resolver.for_identifier(cand.identifier)
        run_tests = bool(options.test_command) and not test_skip.matches(cand.identifier)
        if options.test_groups:  # installed with test-requires, as in cibuildwheel
            groups = test_group_requirements(
                project, options.test_groups, resolver.source_of("test-groups")
            )
            options = replace(options, test_requires=(*options.test_requires, *groups))
        jobs.append(
            Job(
                cand.identifier,
                cand.python,
                cand.python_version,
                cand.image,
                options,
                run_tests,
                cand.abi,
            )
        )
    return Plan(run.platform, tuple(jobs), unavailable)


def unbuildable(
    selection: BuildSelection,
    archs: set[str],
    candidates: Sequence[Candidate],
    sources: Sequence[Source],
) -> tuple[Unavailable, ...]:
    """Selected identifiers no candidate offers, if a build pattern names their version.

    Only named versions count: the default '*' (or 'cp3*') selects every CPython manywheel
    knows, and a host or image that lacks some of them is the normal case, not news. The rest
    of the selection applies as for candidates (skip, requires-python, enable, archs), with the
    newest patch release standing in for the version no interpreter reported.
    """
    offered = {c.identifier for c in candidates}
    out = []
    for source in sources:
        if source.arch not in archs:
            continue
        for ident in universe():
            if (
                (ident.kind, ident.arch) == (source.kind, source.arch)
                and ident not in offered
                and selection.build.names_version(ident)
                and selection.selected(ident, f"{ident.version[0]}.{ident.version[1]}.99")
            ):
                out.append(Unavailable(ident, source.missing(ident)))
    return tuple(sorted(out, key=lambda u: (u.identifier.arch, u.identifier)))


def describe_unavailable(unavailable: Sequence[Unavailable]) -> str:
    """One line naming every selected identifier that will not be built, and why."""
    return "selected but not built: " + "; ".join(
        f"{u.identifier}: {u.reason}" for u in unavailable
    )


def _why_nothing(
    resolver: OptionsResolver,
    project: Project,
    candidates: Sequence[Candidate],
    archs: set[str],
    unavailable: Sequence[Unavailable],
    *,
    selection: BuildSelection,
) -> str:
    run = resolver.run
    available = " ".join(str(c.identifier) for c in candidates) or "none"
    parts = [
        f"nothing to build: no identifier is selected. Available with --platform "
        f"{run.platform}: {available}."
    ]
    parts.append(f"build = {run.build!r} ({resolver.source_of('build')})")
    if run.skip:
        parts.append(f"skip = {run.skip!r} ({resolver.source_of('skip')})")
    parts.append(f"archs = {' '.join(sorted(archs))}")
    if run.project_requires_python:
        source = resolver.source_of("project-requires-python")
        parts.append(f"project-requires-python = '{run.project_requires_python}' ({source})")
    elif project.requires_python is not None:
        parts.append(f"requires-python = '{project.requires_python}' (from the project)")
    parts += _groups_needed(candidates, archs, selection)
    line = describe_unavailable(unavailable)
    missing = f" {line[0].upper()}{line[1:]}." if unavailable else ""
    return (
        "; ".join(parts)
        + f".{missing} Widen the selection, or pass --allow-empty to make this a success."
    )


def _groups_needed(
    candidates: Sequence[Candidate], archs: set[str], selection: BuildSelection
) -> list[str]:
    """'pp39-manylinux_x86_64 needs enable = ["pypy-eol"]': identifiers the build selector
    matched but an opt-in group left out (all of PyPy is opt-in)."""
    needed: dict[str, list[str]] = {}
    for cand in candidates:
        ident = cand.identifier
        if ident.arch not in archs or not selection.build.matches(ident):
            continue
        group = selection.group_needed(ident, cand.python_version)
        if group is not None and not selection.skip.matches(ident):
            needed.setdefault(group, []).append(str(ident))
    return [
        f'{" ".join(names)} {"needs" if len(names) == 1 else "need"} enable = ["{group}"]'
        for group, names in needed.items()
    ]
