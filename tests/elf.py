"""What a built wheel's shared objects say about themselves, read with the field's tools: binutils'
``readelf`` (headers, dynamic section, symbol versions, attributes) and ``auditwheel show`` (the
policy). Tests read ELF files only through these helpers."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path


def readelf(path: Path, *options: str) -> str:
    """``readelf OPTIONS PATH``'s output (``-h`` header, ``-d`` dynamic section, ``-A`` arch
    attributes, ``-W --dyn-syms`` symbols with their versions)."""
    return subprocess.run(
        ["readelf", *options, str(path)], capture_output=True, text=True, check=True
    ).stdout


def auditwheel_show(wheel: Path) -> str:
    """``auditwheel show``'s verdict on a wheel, its whitespace (line wrapping) collapsed."""
    proc = subprocess.run(
        [sys.executable, "-m", "auditwheel", "show", str(wheel)],
        capture_output=True,
        text=True,
        check=True,
    )
    return " ".join(proc.stdout.split())


def shared_objects(wheel: Path, into: Path) -> dict[str, Path]:
    """Every shared object in the wheel (``*.so`` and versioned ``*.so.N`` libraries grafted by
    a repair), extracted below ``into``, by member name."""
    with zipfile.ZipFile(wheel) as zf:
        return {
            name: Path(zf.extract(name, into))
            for name in zf.namelist()
            if ".so" in Path(name).suffixes
        }


def extension_modules(wheel: Path, into: Path) -> dict[str, Path]:
    """The wheel's ``*.so`` members (its extension modules), extracted below ``into``."""
    return {n: p for n, p in shared_objects(wheel, into).items() if n.endswith(".so")}


def extension_module(wheel: Path, into: Path) -> Path:
    """The wheel's one extension module, extracted below ``into``."""
    (path,) = extension_modules(wheel, into).values()
    return path


def header_field(text: str, field: str) -> str:
    """The value of ``Field:`` in readelf's output (``-h``'s Machine, ``-A``'s Tag_CPU_arch)."""
    return next(ln.split(":", 1)[1].strip() for ln in text.splitlines() if f"{field}:" in ln)


def elf_machines(wheel: Path, into: Path) -> dict[str, str]:
    """readelf -h's Machine for each extension module in the wheel, by member name."""
    return {
        name: header_field(readelf(path, "-h"), "Machine")
        for name, path in extension_modules(wheel, into).items()
    }


def needed(path: Path) -> list[str]:
    """The DT_NEEDED entries of a shared object, in order (readelf -d's ``Shared library``)."""
    return [
        line.split("[", 1)[1].split("]", 1)[0]
        for line in readelf(path, "-d").splitlines()
        if "(NEEDED)" in line
    ]


def glibc_versions(wheel: Path, into: Path) -> set[str]:
    """The GLIBC_x.y symbol versions the wheel's extension modules ask for or define."""
    found: set[str] = set()
    for path in extension_modules(wheel, into / wheel.name).values():
        symbols = readelf(path, "-W", "--dyn-syms")  # -W: long names are never cut short
        found |= {
            word.rsplit("@", 1)[1]
            for word in symbols.split()
            if "@" in word and word.rsplit("@", 1)[1].startswith("GLIBC_2.")
        }
    return found
