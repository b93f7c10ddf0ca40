"""Running a script in a target image's interpreter (under QEMU, in a container) to read what a
cross build needs of the image: its interpreter's facts (target.py), its libraries (sysroot.py)."""

from __future__ import annotations

import subprocess


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
