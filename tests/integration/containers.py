"""Helpers for the container tests: the test images, leftover checks, running manywheel."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

IMAGES = {
    "x86_64": "manywheel-test/manylinux-x86_64:latest",
    "i686": "manywheel-test/manylinux-i686:latest",
    "aarch64": "manywheel-test/manylinux-aarch64:latest",
}
# built from Debian packages and source packages by tests/images/build-musl-image.sh
MUSL_IMAGE = "manywheel-test/musllinux-x86_64:latest"
ENGINES = ("podman", "docker")


def manywheel_containers(engine: str, image: str = "") -> list[str]:
    """Names of every container manywheel made that still exists (running or not); with image,
    only those of that image (other runs on this machine may use the other images)."""
    proc = subprocess.run(
        [engine, "ps", "-a", "--filter", "label=manywheel=1", "--format", "{{.Names}} {{.Image}}"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [line.split() for line in proc.stdout.splitlines() if line.strip()]
    return [name for name, used in rows if not image or used.endswith(image)]


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
            "MANYWHEEL_MANYLINUX_X86_64_IMAGE": IMAGES["x86_64"],
            "MANYWHEEL_MANYLINUX_I686_IMAGE": IMAGES["i686"],
            "MANYWHEEL_MANYLINUX_AARCH64_IMAGE": IMAGES["aarch64"],
            "MANYWHEEL_CACHE_DIR": str(tmp_path / "cache"),
            "MANYWHEEL_LOG_DIR": str(tmp_path / "logs"),
            "TMPDIR": str(tmp_path / "tmp"),
        }
    )
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env.update(extra)
    return env


def run_manywheel(
    *args: str, env: dict[str, str], timeout: float = 1500
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "manywheel", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
