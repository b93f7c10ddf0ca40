"""uv for an emulated image that has none: the uv release the host runs, built for the image's
arch, fetched once from the package index (uv's own wheel for that platform) and cached.

Under QEMU, ``python -m venv`` (ensurepip) and pip cost tens of seconds per job, emulated
Python importing hundreds of modules; uv, a native binary for the target, does the same in a
fraction of a second even emulated. The aarch64 and armv7l wheels carry a static binary (they
are tagged musllinux too); the ppc64le and s390x ones need the image's glibc, which
ContainerExecutor checks by running it once before using it.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from manywheel.caching.compiler_cache import cache_home

# the platform tag pip asks the index for, per arch (the first that uv publishes)
PLATFORMS = {
    "aarch64": "musllinux_1_1_aarch64",
    "armv7l": "musllinux_1_1_armv7l",
    "ppc64le": "manylinux2014_ppc64le",
    "s390x": "manylinux2014_s390x",
    "i686": "musllinux_1_1_i686",
    "x86_64": "musllinux_1_1_x86_64",
}


class NoForeignUv(Exception):
    """Why no uv for the arch could be had (said in the job logs)."""


def host_uv_version() -> str:
    try:
        return importlib.metadata.version("uv")
    except importlib.metadata.PackageNotFoundError:
        raise NoForeignUv("the uv package is not installed next to manywheel") from None


def foreign_uv(arch: str) -> Path:
    """The cached uv binary for ``arch``, fetched first if need be (NoForeignUv: why not)."""
    platform = PLATFORMS.get(arch)
    if platform is None:
        raise NoForeignUv(f"uv publishes no build for {arch}")
    version = host_uv_version()
    binary = cache_home() / "tools" / f"uv-{version}-{arch}" / "uv"
    if binary.is_file():
        return binary
    if importlib.util.find_spec("pip") is None:
        raise NoForeignUv("fetching it needs pip next to manywheel")
    binary.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="manywheel-uv-", dir=binary.parent) as tmp:
        argv = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        argv += ["--only-binary=:all:", "--platform", platform, "--dest", tmp, f"uv=={version}"]
        try:
            proc = subprocess.run(
                argv, capture_output=True, text=True, check=False, timeout=300,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            why = f"pip download of uv=={version} for {platform} failed: {exc}"
            raise NoForeignUv(why) from None
        wheels = list(Path(tmp).glob("uv-*.whl"))
        if proc.returncode != 0 or len(wheels) != 1:
            last = (proc.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise NoForeignUv(f"pip download of uv=={version} for {platform} failed: {last}")
        with zipfile.ZipFile(wheels[0]) as whl:
            member = next((n for n in whl.namelist() if n.endswith(".data/scripts/uv")), None)
            if member is None:
                raise NoForeignUv(f"{wheels[0].name} has no uv binary")
            partial = Path(tmp) / "uv"
            partial.write_bytes(whl.read(member))
        partial.chmod(0o755)
        os.replace(partial, binary)  # whole, or not there: concurrent runs agree
    return binary
