"""auditwheel for a wheel of a foreign arch: ``python -m manywheel.toolchains.auditwheel_cross
ARCH [--sysroot DIR IMAGE NOTE_FILE] repair --plat manylinux_2_17_ARCH ...``.

auditwheel repairs any arch (it reads the arch from the wheel and the ELF files), but its
``--plat`` choices are built from the machine it runs on (``Architecture.detect()``), so
``--plat manylinux_2_17_aarch64`` is refused on x86_64. This runs auditwheel's own CLI with
the target arch as the detected one; everything else is auditwheel's.

With ``--sysroot`` (the target image's libraries copied to the host, sysroot.py), auditwheel
searches that copy's library dirs instead of the host's (``--ldpaths``; the user's
AUDITWHEEL_LD_LIBRARY_PATH still adds to them), so it grafts the target's libz.so.1, not
nothing. A library found in none of them is reported as a paragraph saying how to provide it
(also written to NOTE_FILE, for the job's error), not as auditwheel's traceback.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

from manywheel.toolchains.sysroot import Sysroot, missing_library_note

_NOT_LOCATED = re.compile(r'library "([^"]+)" could not be located')


def main(argv: Sequence[str]) -> int:
    from auditwheel import architecture
    from auditwheel.main import main as auditwheel_main

    arch, rest = argv[0], list(argv[1:])
    sysroot, note_file = None, None
    if rest[:1] == ["--sysroot"]:
        sysroot = Sysroot.load(Path(rest[1]), rest[2])
        note_file, rest = Path(rest[3]), rest[4:]
        rest[1:1] = ["--ldpaths", ":".join(sysroot.host_lib_dirs)]
    target = architecture.Architecture(arch)
    architecture.Architecture.detect = staticmethod(  # type: ignore[method-assign]
        lambda *, bits=None: target
    )
    sys.argv = ["auditwheel", *rest]
    try:
        return auditwheel_main() or 0
    except ValueError as exc:
        missing = _NOT_LOCATED.search(str(exc))
        if sysroot is None or note_file is None or missing is None:
            raise
        note = missing_library_note(missing[1], arch, sysroot)
        print(note, file=sys.stderr)
        note_file.write_text(note, encoding="utf-8")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
