"""Publishing: check the distributions, then upload them with twine, credentials masked."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from manywheel.config.secrets import Masker, mask_url
from manywheel.errors import ConfigError, ManywheelError

RETRIES = 3
# the index's answer as twine reports it ("HTTPError: 503 Service Unavailable from URL"), not a
# number or word elsewhere in its output: the file's name is there too (version 1.500.403.409,
# a project named forbiddenfruit)
_TRANSIENT = re.compile(r"HTTPError: 5\d\d\b|Connection reset|timed out|Temporary failure", re.I)
_UNREACHABLE = re.compile(
    r"Connection refused|Failed to establish a new connection|"
    r"Max retries exceeded|Name or service not known",
    re.I,
)
_AUTH = re.compile(r"HTTPError: 40[13]\b|Invalid or non-existent authentication", re.I)
_EXISTS = re.compile(r"HTTPError: 409\b|already\s+exists?|File\s+exists", re.I)
_CONFIGURATION = re.compile(r"InvalidConfiguration: (.+)")  # twine's reading of a .pypirc
_COLUMNS = 1000  # wider than any token or URL it could carry

Outcome = Literal["uploaded", "skipped"]


@dataclass(frozen=True)
class Target:
    repository_url: str | None = None
    repository: str | None = None  # a name from .pypirc
    config_file: Path | None = None

    @property
    def shown(self) -> str:
        return mask_url(self.repository_url) if self.repository_url else f"'{self.repository}'"


def collect(paths: Sequence[Path]) -> list[Path]:
    """Wheels and sdists: the files given, and those directly inside directories given."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p for p in path.iterdir() if p.name.endswith((".whl", ".tar.gz", ".zip"))
            )
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(
                f"'{path}' does not exist. Give wheel/sdist files or the directory "
                "that holds them (default: wheelhouse)."
            )
    if not files:
        shown = ", ".join(str(p) for p in paths)
        raise ConfigError(
            f"no wheels or sdists found in {shown}. Build them first with "
            "'manywheel build --sdist'."
        )
    return files


def name_and_version(path: Path) -> tuple[str, str]:
    try:
        if path.name.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(path.name)
        else:
            name, version = parse_sdist_filename(path.name)
    except (InvalidWheelFilename, InvalidSdistFilename):
        raise ConfigError(
            f"'{path.name}' is not a wheel or sdist file name (PEP 427/625); "
            "only distributions can be published."
        ) from None
    return canonicalize_name(name), str(version)


def check_consistent(files: Sequence[Path]) -> tuple[str, str]:
    """Every file must be the same project and version (a release is one version)."""
    found = {path: name_and_version(path) for path in files}
    releases = sorted(set(found.values()))
    if len(releases) > 1:
        listing = "; ".join(
            f"{n} {v}: " + ", ".join(p.name for p, nv in found.items() if nv == (n, v))
            for n, v in releases
        )
        raise ConfigError(
            f"refusing to publish a mix of projects or versions ({listing}). "
            "Publish one release at a time: remove stale files from the directory."
        )
    return releases[0]


def _twine(args: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    # twine writes through rich: without colour codes, and in lines wide enough that neither an
    # index's answer ("... already exists!") nor a secret (a token is longer than a terminal's
    # 80 columns) is wrapped, so that they are matched and masked whole
    return subprocess.run(
        [sys.executable, "-m", "twine", "--no-color", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": str(_COLUMNS), **env},
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


def twine_check(files: Sequence[Path], masker: Masker) -> None:
    proc = _twine(["check", *map(str, files)], {})
    if proc.returncode != 0:
        said = without_tracebacks(masker.mask((proc.stdout + proc.stderr).strip()))
        raise ManywheelError(
            f"twine check found invalid distributions, nothing was uploaded:\n"
            f"{said}\nRebuild them, or remove the broken files."
        )


def credentials(environ: Mapping[str, str]) -> dict[str, str]:
    """twine's environment: MANYWHEEL_* first, then TWINE_*; a token means user __token__."""
    env: dict[str, str] = {}
    token = environ.get("MANYWHEEL_TOKEN")
    user = environ.get("MANYWHEEL_USERNAME") or environ.get("TWINE_USERNAME")
    password = environ.get("MANYWHEEL_PASSWORD") or environ.get("TWINE_PASSWORD")
    if token:
        user, password = "__token__", token
    if user:
        env["TWINE_USERNAME"] = user
    if password:
        env["TWINE_PASSWORD"] = password
    return env


def without_tracebacks(text: str) -> str:
    """A tool's output with Python tracebacks reduced to their final exception line."""
    kept: list[str] = []
    in_traceback = False
    for line in text.splitlines():
        if "Traceback (most recent call last)" in line:
            in_traceback = True
            head = line.split("Traceback (most recent call last)")[0].strip()
            if head:
                kept.append(head)
            continue
        if in_traceback and (line.startswith((" ", "\t")) or not line.strip()):
            continue
        in_traceback = False
        kept.append(line)
    return "\n".join(kept)


def _failure(file: Path, target: Target, said: str) -> ManywheelError:
    """The error for an upload twine failed, from what it said: a .pypirc without the
    repository is a configuration error, the rest failed uploads."""
    if found := _CONFIGURATION.search(said):
        return ConfigError(
            f"twine cannot upload to {target.shown}: {found.group(1).strip()} Name a "
            "repository the .pypirc has (--config-file names another file than ~/.pypirc), or "
            "pass --repository-url."
        )
    return ManywheelError(_explain(file, target, said))


def _explain(file: Path, target: Target, said: str) -> str:
    if _EXISTS.search(said):
        return (
            f"{file.name} is already on {target.shown}, and an index never accepts the "
            "same file twice. Pass --skip-existing to upload only what is missing."
        )
    if _AUTH.search(said):
        return (
            f"{target.shown} refused the credentials for {file.name} (HTTP 401/403). Check "
            "MANYWHEEL_USERNAME/MANYWHEEL_PASSWORD (or TWINE_*), or MANYWHEEL_TOKEN."
        )
    if _UNREACHABLE.search(said):
        return (
            f"cannot reach {target.shown} (connection failed after {RETRIES} tries). Check "
            "the URL, that the index is up, and your network/proxy settings."
        )
    lines = [ln.strip() for ln in said.strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR") or "Error" in ln]
    last = (errors or lines or ["no output"])[-1]
    last = re.sub(r"^ERROR\s+", "", last)  # twine's level column
    return f"uploading {file.name} to {target.shown} failed: {last}"


def upload(
    files: Sequence[Path],
    target: Target,
    *,
    skip_existing: bool,
    masker: Masker,
    environ: Mapping[str, str],
    say: Callable[[str], None],
) -> dict[Path, Outcome]:
    """Upload each file (sdist first), retrying transient failures; raise on the first error."""
    env = credentials(environ)
    masker.add(env.get("TWINE_PASSWORD"))
    # --verbose: twine then shows the index's answer (e.g. "already exists"), passwords hidden
    base = ["upload", "--non-interactive", "--disable-progress-bar", "--verbose"]
    if target.repository_url:
        base += ["--repository-url", target.repository_url]
        masker.add_url(target.repository_url)
    if target.repository:
        base += ["--repository", target.repository]
    if target.config_file:
        base += ["--config-file", str(target.config_file)]
    # twine refuses --skip-existing for indexes other than PyPI: decide it here, from the
    # index's answer, as twine itself does for PyPI
    outcomes: dict[Path, Outcome] = {}
    for file in sorted(files, key=lambda p: not p.name.endswith((".tar.gz", ".zip"))):
        for attempt in range(1, RETRIES + 1):
            proc = _twine([*base, str(file)], env)
            said = without_tracebacks(masker.mask(proc.stdout + proc.stderr))
            if proc.returncode == 0 or (skip_existing and _EXISTS.search(said)):
                outcomes[file] = "uploaded" if proc.returncode == 0 else "skipped"
                say(f"{outcomes[file]}: {file.name}")
                break
            transient = bool(_TRANSIENT.search(said) or _UNREACHABLE.search(said))
            if not transient or attempt == RETRIES:
                raise _failure(file, target, said)
            say(f"retrying {file.name} after a transient error (try {attempt} of {RETRIES})")
            time.sleep(2**attempt)
    return outcomes
