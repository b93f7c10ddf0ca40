"""What each --platform can build: the candidates the plan chooses from (host interpreters for
native; the image table, or /opt/python of a custom image, for containers)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping, Sequence

from manywheel.config.model import Options
from manywheel.errors import ConfigError, EnvironmentProblem
from manywheel.identifiers import PLATFORM_KINDS, Identifier, universe
from manywheel.images import ImageChoice, python_versions, resolve_image
from manywheel.in_container import detect
from manywheel.interpreters import discover, host_arch, probe
from manywheel.plan import Candidate, resolve_archs
from manywheel.selectors import Selector

_PY_DIR = re.compile(r"^cp3(\d+)-cp3\d+(t?)$")


def native_candidates(run: Options, environ: Mapping[str, str]) -> list[Candidate]:
    for path in run.interpreters:
        if probe(path) is None:
            raise ConfigError(
                f"interpreters: '{path}' is not a working CPython 3 executable. Fix the path "
                "in the 'interpreters' option (or MANYWHEEL_INTERPRETERS)."
            )
    image = detect(environ)  # inside a manylinux image: its /opt/python, nothing else
    found = discover(run.interpreters, environ, only_opt_python=image is not None)
    return [Candidate(i.identifier, i.version, i.path) for i in found]


def pinned_candidates(kind: str, arch: str, image: ImageChoice) -> list[Candidate]:
    """A pinned pypa image: the Python versions the table records for its policy."""
    out = []
    for version in python_versions(image.policy):
        free = version.endswith("t")
        major, minor = (int(x) for x in version.rstrip("t").split("."))
        ident = Identifier((major, minor), free, kind, arch)  # type: ignore[arg-type]
        tag = f"cp{major}{minor}"
        python = f"/opt/python/{tag}-{tag}{'t' if free else ''}/bin/python"
        out.append(Candidate(ident, f"{major}.{minor}.99", python, image.reference))
    return out


def discovered_candidates(run: Options, kind: str, arch: str, image: str) -> list[Candidate]:
    """A custom image: the interpreters are whatever its /opt/python/* holds."""
    from manywheel.backends.containers import engine_for
    from manywheel.backends.engine import (
        check_binfmt,
        ensure_image,
        needs_emulation,
        platform_args,
    )

    engine = engine_for(run.platform, run.container_engine)
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


def container_candidates(run: Options, which: str = "all") -> list[Candidate]:
    """Candidates from the images of the selected archs ("host" or "foreign" ones only)."""
    cross = run.toolchain == "zig"
    archs = resolve_archs(run.archs, host_arch(), run.platform, "archs", cross=cross)
    if which != "all":
        archs = {a for a in archs if (a == host_arch()) == (which == "host")}
    out: list[Candidate] = []
    for arch in sorted(archs):
        for kind in PLATFORM_KINDS:
            if not _may_build(run, kind, arch):
                continue  # don't look into images no selected identifier needs
            image = resolve_image(run.image(kind, arch), kind, arch, f"{kind}-{arch}-image")
            if image.pinned:
                out += pinned_candidates(kind, arch, image)
            else:
                out += discovered_candidates(run, kind, arch, image.reference)
    return out


def cross_candidates(run: Options, host: Sequence[Candidate]) -> list[Candidate]:
    """--toolchain zig: the foreign arches' target images' CPythons (manylinux: zig targets
    glibc) for which this host has a CPython of the same version to build with."""
    versions = {(c.identifier.version, c.identifier.free_threaded) for c in host}
    return [
        c
        for c in container_candidates(run, "foreign")
        if c.identifier.kind == "manylinux"
        and (c.identifier.version, c.identifier.free_threaded) in versions
    ]


def candidates(run: Options, environ: Mapping[str, str]) -> list[Candidate]:
    if run.toolchain != "zig":
        return (
            native_candidates(run, environ)
            if run.platform == "native"
            else container_candidates(run)
        )
    native = native_candidates(run, environ)
    # foreign arches are built on the host; a container builds the host's arch as usual
    own = native if run.platform == "native" else container_candidates(run, "host")
    return own + cross_candidates(run, native)
