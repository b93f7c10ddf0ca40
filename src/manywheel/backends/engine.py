"""Container engines (docker, podman): choosing one that works, images, QEMU for foreign arches."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from manywheel.config.parsers import ENGINES, parse_engine
from manywheel.errors import EnvironmentProblem

OCI_PLATFORMS = {
    "x86_64": "linux/amd64",
    "i686": "linux/386",
    "aarch64": "linux/arm64",
    "ppc64le": "linux/ppc64le",
    "s390x": "linux/s390x",
    "armv7l": "linux/arm/v7",
    "riscv64": "linux/riscv64",
}
QEMU_NAMES = {
    "aarch64": "aarch64",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "armv7l": "arm",
    "riscv64": "riscv64",
}
_BINFMT = "/proc/sys/fs/binfmt_misc"


@dataclass(frozen=True)
class Engine:
    name: str
    create_args: tuple[str, ...] = ()

    def command(self, *args: str) -> list[str]:
        return [self.name, *args]

    def probe(self, timeout: float = 30) -> str | None:
        """None if the engine answers, else why it does not (one line). ``version`` asks the
        docker daemon for its version too; for podman it is a tenth of ``info``'s time (which
        also reads the storage), and a podman that cannot run a container says why when the
        container starts."""
        if shutil.which(self.name) is None:
            return f"{self.name} is not installed (not found on PATH)"
        try:
            proc = subprocess.run(
                self.command("version"),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return f"'{self.name} version' did not answer within {timeout:.0f} s"
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
            why = lines[-1] if lines else f"exit status {proc.returncode}"
            if self.name == "docker":
                return f"the docker daemon does not answer ('docker version': {why})"
            return f"'{self.name} version' failed: {why}"
        return None


def choose_engine(platform: str, container_engine: str, source: str) -> Engine:
    """The engine --platform asks for, checked to work; for auto the first that works."""
    configured, create_args = parse_engine(container_engine, source)
    if platform in ENGINES:
        names: Sequence[str] = [platform]
    elif configured != "auto":
        names = [configured]
    else:
        names = ENGINES
    problems = []
    for name in names:
        engine = Engine(name, create_args)
        problem = engine.probe()
        if problem is None:
            return engine
        problems.append(problem)
    fixes = {
        "docker": "start the daemon (systemctl start docker, or dockerd &)",
        "podman": "install podman (apt-get install podman runc)",
    }
    tried = "; ".join(problems)
    fix = " or ".join(fixes[n] for n in names)
    raise EnvironmentProblem(
        f"--platform {platform}: no container engine works here ({tried}). To fix: {fix}; "
        "or build without containers using --platform native."
    )


def needs_emulation(host: str, arch: str) -> bool:
    return (
        arch != host
        and not (host == "x86_64" and arch == "i686")
        and not (host == "aarch64" and arch == "armv7l")
    )


def binfmt_registered(arch: str) -> bool:
    """Whether QEMU user emulation for ``arch`` is registered and enabled."""
    handler = os.path.join(_BINFMT, f"qemu-{QEMU_NAMES.get(arch, arch)}")
    try:
        with open(handler, encoding="utf-8") as fh:
            return fh.readline().strip() == "enabled"
    except OSError:
        return False


def check_binfmt(host: str, arch: str) -> None:
    """A foreign arch runs through QEMU user emulation: its binfmt handler must be registered."""
    if not needs_emulation(host, arch) or binfmt_registered(arch):
        return
    qemu = QEMU_NAMES.get(arch, arch)
    handler = os.path.join(_BINFMT, f"qemu-{qemu}")
    raise EnvironmentProblem(
        f"building for {arch} on this {host} machine needs QEMU emulation, but no binfmt "
        f"handler for qemu-{qemu} is registered ({handler} is missing or disabled). "
        "Register one: 'apt-get install qemu-user-static binfmt-support' (mount binfmt_misc "
        "first if /proc/sys/fs/binfmt_misc is empty: 'mount -t binfmt_misc binfmt_misc "
        "/proc/sys/fs/binfmt_misc'), or 'docker run --privileged --rm "
        "tonistiigi/binfmt --install all'."
    )


def ensure_image(engine: Engine, image: str, kind: str, arch: str, emulated: bool) -> None:
    """Make sure the image is present locally, pulling it if not."""
    if image_id(engine, image) != "unknown":  # present (asked once per run and image)
        return
    pull = engine.command("pull")
    if emulated:
        pull += ["--platform", OCI_PLATFORMS[arch]]
    try:
        proc = subprocess.run(
            [*pull, image],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        proc = subprocess.CompletedProcess([], 1, "", "timed out after 30 minutes")
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).strip().splitlines() if ln.strip()]
        why = lines[-1] if lines else f"exit status {proc.returncode}"
        raise EnvironmentProblem(
            f"the image '{image}' is not present in {engine.name} and pulling it failed "
            f"({why}). Check the network or registry login, pull or import the image "
            f"yourself ('{engine.name} pull {image}'), or point the "
            f"{kind}-{arch}-image option at an image you have."
        )


_IMAGE_IDS: dict[tuple[Engine, str], str] = {}


def image_id(engine: Engine, image: str) -> str:
    """The local image's ID ("unknown" when it is not present): what a cache entry names.
    Asked once per run and image (not remembered while unknown: a pull may come next)."""
    if (engine, image) in _IMAGE_IDS:
        return _IMAGE_IDS[engine, image]
    proc = subprocess.run(
        engine.command("image", "inspect", "--format", "{{.Id}}", image),
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        return "unknown"
    _IMAGE_IDS[engine, image] = proc.stdout.strip()
    return _IMAGE_IDS[engine, image]


def platform_args(engine: Engine, image: str, arch: str, emulated: bool) -> list[str]:
    """``--platform`` for an emulated arch, when the local image is recorded with that arch.

    An image whose recorded architecture differs (e.g. imported from a root filesystem by a
    docker that ignores ``import --platform``) runs as it is, through binfmt; asking for
    ``--platform`` would make the engine try to pull a matching image instead.
    """
    if not emulated:
        return []
    wanted = OCI_PLATFORMS[arch].split("/")[1]
    proc = subprocess.run(
        engine.command("image", "inspect", "--format", "{{.Architecture}}", image),
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode == 0 and proc.stdout.strip() != wanted:
        return []
    return ["--platform", OCI_PLATFORMS[arch]]
