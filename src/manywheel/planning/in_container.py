"""Running inside a manylinux/musllinux image (cibuildwheel issue #2875): no engine needed.

pypa's images set ``AUDITWHEEL_PLAT`` (e.g. ``manylinux_2_28_x86_64``) and keep their CPythons
in ``/opt/python``. There, ``manywheel build`` (native) builds with exactly those interpreters
and repairs to the image's policy, as cibuildwheel does inside the same image.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from manywheel.errors import ConfigError

OPT_PYTHON = Path("/opt/python")
_PLAT = re.compile(
    r"^(manylinux|musllinux)_\d+_\d+_[a-z0-9_]+$|^manylinux(1|2010|2014)_[a-z0-9_]+$"
)


@dataclass(frozen=True)
class ManylinuxImage:
    plat: str  # AUDITWHEEL_PLAT: the policy and arch wheels are repaired to

    @property
    def note(self) -> str:
        return (
            f"inside a {self.plat} image (AUDITWHEEL_PLAT): building with the interpreters "
            f"in {OPT_PYTHON} and repairing to {self.plat}"
        )


def detect(environ: Mapping[str, str], opt_python: Path = OPT_PYTHON) -> ManylinuxImage | None:
    """The image manywheel runs in, if this looks like a pypa image; else None."""
    plat = environ.get("AUDITWHEEL_PLAT", "").strip()
    if not plat or not opt_python.is_dir():
        return None
    if not _PLAT.match(plat):
        raise ConfigError(
            f"AUDITWHEEL_PLAT: {plat!r} is not an auditwheel platform such as "
            "manylinux_2_28_x86_64 or musllinux_1_2_aarch64. pypa's images set it; fix or unset "
            "it to build inside this container."
        )
    return ManylinuxImage(plat)
