"""What each --platform can build: the candidates the plan chooses from (host interpreters for
native; the image table, or /opt/python of a custom image, for containers)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence

from manywheel.config.identifiers import PLATFORM_KINDS, Identifier, universe
from manywheel.config.model import Options
from manywheel.config.selectors import Selector
from manywheel.errors import ConfigError
from manywheel.planning.image_table import (
    ImageChoice,
    pypy_versions,
    python_versions,
    resolve_image,
)
from manywheel.planning.in_container import detect
from manywheel.planning.interpreters import discover, host_arch, host_platform_kind, probe
from manywheel.planning.plan import Candidate, Source, resolve_archs

# /opt/python entries: cp312-cp312, cp313-cp313t, pp39-pypy39_pp73 (the ABI tag after the dash)
_PY_DIR = re.compile(r"^(?:cp3(?P<cp>\d+)-cp3\d+(?P<t>t?)|pp3(?P<pp>\d+)-(?P<abi>pypy3\d+_pp\d+))$")

# Lists /opt/python in a custom image (options, kind, arch, image): the backends know how to
# run one; planning only reads the answer.
ListPythons = Callable[[Options, str, str, str], Sequence[str]]


def native_candidates(run: Options, environ: Mapping[str, str]) -> list[Candidate]:
    for path in run.interpreters:
        if probe(path) is None:
            raise ConfigError(
                f"interpreters: '{path}' is not a working CPython or PyPy 3 executable. Fix "
                "the path "
                "in the 'interpreters' option (or MANYWHEEL_INTERPRETERS)."
            )
    image = detect(environ)  # inside a manylinux image: its /opt/python, nothing else
    found = discover(run.interpreters, environ, only_opt_python=image is not None)
    return [Candidate(i.identifier, i.version, i.path, abi=i.abi) for i in found]


def pinned_candidates(kind: str, arch: str, image: ImageChoice) -> list[Candidate]:
    """A pinned pypa image: the CPython versions the table records for its policy, and the
    PyPy versions of its kind and arch."""
    out = []
    for version in python_versions(image.policy):
        free = version.endswith("t")
        major, minor = (int(x) for x in version.rstrip("t").split("."))
        ident = Identifier((major, minor), free, kind, arch)  # type: ignore[arg-type]
        tag = f"cp{major}{minor}"
        python = f"/opt/python/{tag}-{tag}{'t' if free else ''}/bin/python"
        out.append(Candidate(ident, f"{major}.{minor}.99", python, image.reference))
    for version in pypy_versions(kind, arch):
        major, minor = (int(x) for x in version.split("."))
        ident = Identifier((major, minor), False, kind, arch, "pp")  # type: ignore[arg-type]
        abi = f"pypy{major}{minor}_pp73"
        python = f"/opt/python/pp{major}{minor}-{abi}/bin/python"
        out.append(Candidate(ident, f"{major}.{minor}.99", python, image.reference, abi))
    return out


def discovered_candidates(
    kind: str, arch: str, image: str, list_pythons: ListPythons, run: Options
) -> list[Candidate]:
    """A custom image: the interpreters are whatever its /opt/python/* holds (CPython, and
    PyPy as the pypa images name it: pp39-pypy39_pp73)."""
    out = []
    for entry in list_pythons(run, kind, arch, image):
        match = _PY_DIR.match(entry)
        if not match:
            continue
        python = f"/opt/python/{entry}/bin/python"
        if match["pp"]:
            minor = int(match["pp"])
            ident = Identifier((3, minor), False, kind, arch, "pp")  # type: ignore[arg-type]
            out.append(Candidate(ident, f"3.{minor}.99", python, image, abi=match["abi"]))
        else:
            minor = int(match["cp"])
            ident = Identifier((3, minor), bool(match["t"]), kind, arch)  # type: ignore[arg-type]
            out.append(Candidate(ident, f"3.{minor}.99", python, image))
    return out


def _may_build(run: Options, kind: str, arch: str) -> bool:
    build, skip = Selector(run.build, "build"), Selector(run.skip, "skip")
    return any(
        build.matches(ident) and not skip.matches(ident)
        for ident in universe()
        if ident.kind == kind and ident.arch == arch
    )


def _images(run: Options, which: str) -> Iterator[tuple[str, str, ImageChoice]]:
    """(kind, arch, image) of the selected archs ("host" or "foreign" ones only)."""
    cross = run.toolchain == "zig"
    archs = resolve_archs(run.archs, host_arch(), run.platform, "archs", cross=cross)
    if which != "all":
        archs = {a for a in archs if (a == host_arch()) == (which == "host")}
    for arch in sorted(archs):
        for kind in PLATFORM_KINDS:
            if not _may_build(run, kind, arch):
                continue  # don't look into images no selected identifier needs
            yield (
                kind,
                arch,
                resolve_image(run.image(kind, arch), kind, arch, f"{kind}-{arch}-image"),
            )


def container_candidates(
    run: Options, list_pythons: ListPythons, which: str = "all"
) -> list[Candidate]:
    """Candidates from the images of the selected archs ("host" or "foreign" ones only)."""
    out: list[Candidate] = []
    for kind, arch, image in _images(run, which):
        if image.pinned:
            out += pinned_candidates(kind, arch, image)
        else:
            out += discovered_candidates(kind, arch, image.reference, list_pythons, run)
    return out


def cross_candidates(
    run: Options, host: Sequence[Candidate], list_pythons: ListPythons
) -> list[Candidate]:
    """--toolchain zig: the foreign arches' target images' CPythons (manylinux: zig targets
    glibc) for which this host has a CPython of the same version to build with. Not PyPy: as
    in cibuildwheel, PyPy is not cross-compiled."""
    versions = {
        (c.identifier.version, c.identifier.free_threaded) for c in host if not c.identifier.is_pypy
    }
    return [
        c
        for c in container_candidates(run, list_pythons, "foreign")
        if c.identifier.kind == "manylinux"
        and not c.identifier.is_pypy
        and (c.identifier.version, c.identifier.free_threaded) in versions
    ]


def candidates(
    run: Options, environ: Mapping[str, str], list_pythons: ListPythons
) -> list[Candidate]:
    if run.toolchain != "zig":
        return (
            native_candidates(run, environ)
            if run.platform == "native"
            else container_candidates(run, list_pythons)
        )
    native = native_candidates(run, environ)
    # foreign arches are built on the host; a container builds the host's arch as usual
    own = native if run.platform == "native" else container_candidates(run, list_pythons, "host")
    return own + cross_candidates(run, native, list_pythons)


def sources(run: Options, environ: Mapping[str, str]) -> list[Source]:
    """Where each platform kind and arch that ``candidates`` looks at gets its interpreters
    (the plan names the selected identifiers none of them offers)."""

    def images(which: str) -> list[Source]:
        return [
            Source(kind, arch, "pinned" if image.pinned else "image", image.reference)
            for kind, arch, image in _images(run, which)
        ]

    native = [
        Source(host_platform_kind(), host_arch(), "host" if detect(environ) is None else "in-image")
    ]
    if run.toolchain != "zig":
        return native if run.platform == "native" else images("all")
    own = native if run.platform == "native" else images("host")
    foreign = [
        Source(s.kind, s.arch, "cross", s.image) for s in images("foreign") if s.kind == "manylinux"
    ]
    return own + foreign
