"""auditwheel for a wheel of a foreign arch: ``python -m manywheel.toolchains.auditwheel_cross
ARCH repair --plat manylinux_2_17_ARCH ...``.

auditwheel repairs any arch (it reads the arch from the wheel and the ELF files), but its
``--plat`` choices are built from the machine it runs on (``Architecture.detect()``), so
``--plat manylinux_2_17_aarch64`` is refused on x86_64. This runs auditwheel's own CLI with
the target arch as the detected one; everything else is auditwheel's.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str]) -> int:
    from auditwheel import architecture
    from auditwheel.main import main as auditwheel_main

    target = architecture.Architecture(argv[0])
    architecture.Architecture.detect = staticmethod(  # type: ignore[method-assign]
        lambda *, bits=None: target
    )
    sys.argv = ["auditwheel", *argv[1:]]
    return auditwheel_main() or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
