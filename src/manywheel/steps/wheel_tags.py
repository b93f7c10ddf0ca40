"""Which wheels a job's interpreter accepts, from packaging.tags: a check that the build and
the repair gave a wheel for this job, not for another Python.

A frontend can succeed without a wheel for the job: a backend that writes nothing (or
elsewhere), or one that names its tags from another interpreter (a hard-coded python_tag, a
PYTHON variable, a backend of its own). Caught here, the job fails in the step that did it,
instead of delivering a cp311 wheel as pp39's or failing later in repair or test.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from packaging import tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from manywheel.planning.plan import Job

_ANY_PLATFORM = ["linux"]  # only (interpreter, abi) is compared; the repair checks platforms


@dataclass(frozen=True)
class ExpectedTags:
    """The (interpreter, abi) pairs a job's interpreter installs, and how to show them."""

    pairs: frozenset[tuple[str, str]]
    shown: str
    abi_prefix: str = ""  # a PyPy whose ABI tag is unknown: any pypy39_pp* ABI

    def accepts(self, wheel_name: str) -> bool:
        return any(self._accepts(tag) for tag in wheel_tags(wheel_name))

    def _accepts(self, tag: tags.Tag) -> bool:
        if (tag.interpreter, tag.abi) in self.pairs:
            return True
        prefix = self.abi_prefix
        return bool(prefix) and tag.interpreter.startswith("pp") and tag.abi.startswith(prefix)


def wheel_tags(wheel_name: str) -> frozenset[tags.Tag]:
    try:
        return parse_wheel_filename(wheel_name)[3]
    except InvalidWheelFilename:
        return frozenset()


def shown_tags(wheel_name: str) -> str:
    """'cp311-cp311' (several: 'cp310-cp310.cp311-cp311'), the tags as the filename has them."""
    found = sorted({f"{t.interpreter}-{t.abi}" for t in wheel_tags(wheel_name)})
    return ".".join(found) or "no valid tags"


def expected_tags(job: Job) -> ExpectedTags:
    ident = job.identifier
    version = ident.version
    nodot = f"{version[0]}{version[1]}"
    own: Iterable[tags.Tag]
    if ident.is_pypy:
        # PyPy's ABI names its own version (pypy39_pp73 for 7.3): the interpreter's, from the
        # plan; unknown (no probe, no /opt/python name), any PyPy release of this Python
        interpreter, prefix = f"pp{nodot}", "" if job.abi else f"pypy{nodot}_pp"
        own = tags.generic_tags(interpreter, [job.abi] if job.abi else [], _ANY_PLATFORM)
        first = f"{interpreter}-{job.abi or prefix + '*'}"
    else:
        interpreter, prefix = f"cp{nodot}", ""
        abi = f"cp{nodot}{'t' if ident.free_threaded else ''}"
        # before 3.8 the ABI carries pymalloc's flag: cp37m (the usual build), cp37 without it
        abis = [f"cp{nodot}m", abi] if version < (3, 8) else [abi]
        own = tags.cpython_tags(version, abis, _ANY_PLATFORM)
        first = f"{interpreter}-{abis[0]}"
    compatible = tags.compatible_tags(version, interpreter, _ANY_PLATFORM)
    pairs = frozenset((t.interpreter, t.abi) for t in (*own, *compatible))
    return ExpectedTags(pairs, _show(first, pairs, version), prefix)


def _show(first: str, pairs: frozenset[tuple[str, str]], version: tuple[int, int]) -> str:
    """'cp311-cp311, cp3X-abi3 with X <= 11, or py3-none' (the brief form of the set)."""
    parts = [first]
    for stable in ("abi3", "abi3t"):
        if any(abi == stable for _, abi in pairs):
            parts.append(f"cp3X-{stable} with X <= {version[1]}")
    parts.append("py3-none")
    return ", ".join(parts[:-1]) + f", or {parts[-1]}"
