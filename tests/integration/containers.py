"""Helpers for the container tests: the test images, leftover checks, this session's containers."""

from __future__ import annotations

import hashlib
import os
import subprocess
import uuid
from pathlib import Path

IMAGES = {
    "x86_64": "manywheel-test/manylinux-x86_64:latest",
    "i686": "manywheel-test/manylinux-i686:latest",
    "aarch64": "manywheel-test/manylinux-aarch64:latest",
    # Debian's CPython 3.11 only, no compiler: for zig cross builds (build-cross-images.sh)
    "ppc64le": "manywheel-test/manylinux-ppc64le:latest",
    "s390x": "manywheel-test/manylinux-s390x:latest",
    "armv7l": "manywheel-test/manylinux-armv7l:latest",
}
# built from Debian packages and source packages by tests/images/build-musl-image.sh
MUSL_IMAGE = "manywheel-test/musllinux-x86_64:latest"
ENGINES = ("podman", "docker")
# Every container this test session makes carries this label (given to manywheel as
# container create_args), so that tests look only at their own containers.
SESSION_LABEL = f"manywheel-test-session={os.getpid()}-{uuid.uuid4().hex[:8]}"
LABEL_ENV = {"MANYWHEEL_CONTAINER_ENGINE": f"auto; create_args: --label {SESSION_LABEL}"}


def manywheel_containers(engine: str) -> list[str]:
    """Names of the containers this test session's manywheel runs made that still exist."""
    proc = subprocess.run(
        [engine, "ps", "-a", "--filter", f"label={SESSION_LABEL}", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.split()


def _volumes(engine: str) -> set[str]:
    try:
        proc = subprocess.run(
            [engine, "volume", "ls", "--quiet"], capture_output=True, text=True, check=False
        )
    except OSError:  # the engine is not installed yet: it has no volumes
        return set()
    return set(proc.stdout.split())


# the volumes there were before this session's runs (the suite's containers run one at a time)
_VOLUMES_BEFORE = {engine: _volumes(engine) for engine in ("podman", "docker")}


def new_volumes(engine: str) -> list[str]:
    """Volumes made since this session began that still exist: the volumes of a container
    manywheel made and did not remove after it."""
    return sorted(_volumes(engine) - _VOLUMES_BEFORE[engine])


def tree_digest(root: Path) -> str:
    """Hash of every path and file content below root (to prove it was not modified)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def image_env(engine: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANYWHEEL_")}
    env.update(
        {
            "MANYWHEEL_PLATFORM": engine,
            **{f"MANYWHEEL_MANYLINUX_{arch.upper()}_IMAGE": ref for arch, ref in IMAGES.items()},
            "MANYWHEEL_CACHE_DIR": str(tmp_path / "cache"),
            "MANYWHEEL_LOG_DIR": str(tmp_path / "logs"),
            "TMPDIR": str(tmp_path / "tmp"),
            **LABEL_ENV,
        }
    )
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env.update(extra)
    return env


__all__ = [
    "ENGINES",
    "IMAGES",
    "LABEL_ENV",
    "MUSL_IMAGE",
    "image_env",
    "manywheel_containers",
    "new_volumes",
    "tree_digest",
]
