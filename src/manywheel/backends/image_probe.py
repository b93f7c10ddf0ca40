"""What a container's image has, learnt in one exec when the container starts: its
environment, uv, ccache, which compilers, and a Python for the command runner.

An image ID names its content: the probe of a container started the same way (same engine,
image ID, arch, mounts and create-args) is kept and read back instead of probed again, which
saves an exec (about 0.2 s) at each start.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from manywheel.caching.compiler_cache import COMPILER_NAMES
from manywheel.files import atomic_write_text

_SEPARATOR = "@@manywheel-probe@@"
# set by the engine for each container: not kept (a command inherits the container's own)
_PER_CONTAINER = frozenset({"HOSTNAME"})


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


def probe_keepable(create_args: Sequence[str]) -> bool:
    """Whether a container started with the user's ``create_args`` may read a kept probe: not
    when they mount or set variables of their own, which may change what the image seems to
    have between runs started the same way (a mounted file's content, the host's ``$VAR``)."""
    own = ("-v", "--volume", "--mount", "--tmpfs", "-e", "--env")
    return not any(arg.startswith(own) for arg in create_args)


def kept_probe(path: Path, key: str) -> ImageProbe | None:
    """The probe kept at ``path`` for a container started as ``key`` says; None when there is
    none, it is for another start, or it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["key"] != key:
            return None
        probe = data["probe"]
        return ImageProbe(
            env={str(k): str(v) for k, v in probe["env"].items()},
            uv=_optional_str(probe["uv"]),
            ccache=_optional_str(probe["ccache"]),
            compilers=tuple(str(c) for c in probe["compilers"]),
            python=_optional_str(probe["python"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def keep_probe(path: Path, key: str, probe: ImageProbe) -> None:
    """Kept whole or not at all (a concurrent run reads the old file or the new one)."""
    kept = asdict(probe)
    kept["env"] = {k: v for k, v in probe.env.items() if k not in _PER_CONTAINER}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({"key": key, "probe": kept}))
    except OSError:  # probed again next time
        pass


def _optional_str(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(value)
    return value
