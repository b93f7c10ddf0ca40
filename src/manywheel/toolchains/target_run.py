"""Running a script in a target image's interpreter (under QEMU, in a container) to read what a
cross build needs of the image: its interpreter's facts (target.py), its libraries (sysroot.py)."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from manywheel.errors import EnvironmentProblem

T = TypeVar("T")


def run_in_target(
    run_python: list[str], script: str, *, timeout: float
) -> tuple[bytes | None, str]:
    """Run ``script`` in the target interpreter (``run_python`` reads it from stdin): its
    output, or None and why not (its last line on stderr, or its exit status)."""
    try:
        proc = subprocess.run(
            run_python, input=script.encode(), capture_output=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, str(exc)
    if proc.returncode == 0:
        return proc.stdout, ""
    lines = [ln for ln in proc.stderr.decode(errors="replace").splitlines() if ln.strip()]
    return None, lines[-1] if lines else f"exit status {proc.returncode}"


def read_from_target(
    run_python: list[str],
    script: str,
    *,
    timeout: float,
    what: str,
    needs: str,
    final: Path,
    unpack: Callable[[bytes], T],
) -> T:
    """Run ``script`` in the target interpreter and unpack its output (a tar stream) into the
    cache entry ``final``; a clear error naming ``what`` if either fails."""
    output, why = run_in_target(run_python, script, timeout=timeout)
    if output is None:
        raise EnvironmentProblem(
            f"cannot read {what} ({why}). {needs}; check that it runs "
            f"('{' '.join(run_python[:-1])} -c pass')."
        )
    try:
        return unpack(output)
    except (tarfile.TarError, OSError, KeyError, ValueError) as exc:
        raise EnvironmentProblem(
            f"{what} could not be unpacked into {final} ({exc}). Check the disk, or remove "
            f"{final.parent} and retry."
        ) from None


def unpack_entry(archive: bytes, final: Path, marker: str, finish: Callable[[Path], None]) -> None:
    """Extract a tar archive into the cache entry ``final``, atomically (a whole entry or
    none): into a temp dir beside it, ``finish``ed there, then renamed. An entry another job
    or run completed first (its ``marker`` file present) is as good as ours."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
            if hasattr(tarfile, "data_filter"):  # 3.9.17+, 3.10.12+, 3.11.4+
                tar.extractall(tmp, filter="data")
            else:  # pragma: no cover
                tar.extractall(tmp)
        finish(tmp)
        try:
            tmp.rename(final)
        except OSError:
            if not (final / marker).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
