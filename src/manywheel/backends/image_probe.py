"""What a container's image has, learnt in one exec when the container starts: its
environment, uv, ccache, which compilers, and a Python for the command runner."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from manywheel.caching.compiler_cache import COMPILER_NAMES

_SEPARATOR = "@@manywheel-probe@@"


@dataclass(frozen=True)
class ImageProbe:
    env: Mapping[str, str]  # the container's environment
    uv: str | None  # uv on its PATH
    ccache: str | None  # ccache on its PATH
    compilers: tuple[str, ...]  # the names of COMPILER_NAMES it has
    python: str | None  # a Python that can run the command runner


def probe_script() -> str:
    """One shell script printing the probe's sections, each ended by the separator."""
    sep = _SEPARATOR
    compilers = " ".join(COMPILER_NAMES)
    return (
        f"env; echo {sep}; command -v uv; echo {sep}; command -v ccache; echo {sep}; "
        f"for c in {compilers}; do command -v $c >/dev/null && echo $c; done; echo {sep}; "
        "for p in python3 /opt/python/cp3*/bin/python3; do "
        "command -v $p && break; done; true"
    )


def parse_probe(out: str) -> ImageProbe:
    """The probe script's output read."""
    env_text, uv, ccache, compilers, python = out.split(_SEPARATOR + "\n", 4)
    env = {}
    for line in env_text.splitlines():
        key, found, value = line.partition("=")
        if found:
            env[key] = value
    first_python = python.strip().splitlines()[:1]
    return ImageProbe(
        env=env,
        uv=uv.strip() or None,
        ccache=ccache.strip() or None,
        compilers=tuple(compilers.split()),
        python=first_python[0] if first_python else None,
    )


def probe_image(capture: Callable[[Sequence[str]], str]) -> ImageProbe:
    """Probe with ``capture`` (runs a command in the container, returns its output)."""
    return parse_probe(capture(["sh", "-c", probe_script()]))
