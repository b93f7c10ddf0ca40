"""The libraries auditwheel grafted into a wheel, with their versions, without unzipping it.

auditwheel >= 6.5 records them (PEP 770) as a CycloneDX SBOM,
``<name>-<version>.dist-info/sboms/auditwheel.cdx.json``: one component for the wheel itself,
then one per system package that provided a grafted library (name, version, purl). Wheels
repaired by an older auditwheel, or where no package manager knew the library, have no SBOM:
the grafted files in the ``<package>.libs/`` directory are listed instead, without versions.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

SBOM_NAME = "sboms/auditwheel.cdx.json"


@dataclass(frozen=True)
class Vendored:
    name: str  # the system package (from the SBOM) or the grafted file's name
    version: str | None
    purl: str | None = None  # e.g. pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64
    source: Literal["sbom", "libs"] = "sbom"

    def shown(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name


def vendored_libraries(wheel: Path) -> tuple[Vendored, ...]:
    """What the wheel vendors: from auditwheel's SBOM, else the .libs directory's files."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            names = zf.namelist()
            sboms = [n for n in names if n.endswith(f".dist-info/{SBOM_NAME}")]
            found = _from_sbom(json.loads(zf.read(sboms[0]))) if sboms else None
    except (OSError, zipfile.BadZipFile, ValueError, KeyError):
        return ()
    if found is not None:
        return found
    return tuple(
        Vendored(name.rsplit("/", 1)[1], None, None, "libs")
        for name in sorted(names)
        if name.split("/")[0].endswith(".libs") and not name.endswith("/")
    )


def _from_sbom(document: Any) -> tuple[Vendored, ...] | None:
    if not isinstance(document, dict) or not isinstance(document.get("components"), list):
        return None
    wheel_ref = document.get("metadata", {}).get("component", {}).get("bom-ref")
    out: dict[tuple[str, str | None], Vendored] = {}
    for component in document["components"]:
        if not isinstance(component, dict) or component.get("bom-ref") == wheel_ref:
            continue
        name, version = str(component.get("name", "?")), component.get("version")
        version = str(version) if version is not None else None
        purl = component.get("purl")
        out.setdefault((name, version), Vendored(name, version, purl and str(purl)))
    return tuple(out.values())
