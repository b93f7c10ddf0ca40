"""Grafted libraries read from auditwheel's SBOM, or from the .libs directory without one."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from manywheel.release.reproducible import SourceDate
from manywheel.release.vendored import Vendored, vendored_libraries
from manywheel.run.reporting import report_document
from manywheel.run.results import JobResult
from tests.distributions import make_wheel, wheel_members

SCHEMA = Path(__file__).resolve().parents[2] / "src" / "manywheel" / "schemas" / "report-v1.json"
PURL = "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64"


def _sbom() -> bytes:
    wheel_ref = "pkg:pypi/demo@1.0?file_name=demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"
    return json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.4",
            "metadata": {"component": {"bom-ref": wheel_ref, "name": "demo"}},
            "components": [
                {"type": "library", "bom-ref": wheel_ref, "name": "demo", "version": "1.0"},
                {
                    "type": "library",
                    "bom-ref": PURL + "#abc",
                    "name": "zlib1g",
                    "version": "1:1.2.13.dfsg-1",
                    "purl": PURL,
                },
            ],
        }
    ).encode()


def test_libraries_come_from_the_sbom(tmp_path: Path) -> None:
    members = wheel_members()
    members["demo-1.0.dist-info/sboms/auditwheel.cdx.json"] = _sbom()
    members["demo.libs/libz-a1b2c3d4.so.1.2.13"] = b"\x7fELF"
    found = vendored_libraries(make_wheel(tmp_path, members=members))
    assert found == (Vendored("zlib1g", "1:1.2.13.dfsg-1", PURL, "sbom"),)
    assert found[0].shown() == "zlib1g 1:1.2.13.dfsg-1"


def test_without_an_sbom_the_libs_files_are_listed(tmp_path: Path) -> None:
    members = wheel_members()
    members["demo.libs/libz-a1b2c3d4.so.1.2.13"] = b"\x7fELF"
    found = vendored_libraries(make_wheel(tmp_path, members=members))
    assert found == (Vendored("libz-a1b2c3d4.so.1.2.13", None, None, "libs"),)


def test_a_wheel_that_vendors_nothing(tmp_path: Path) -> None:
    assert vendored_libraries(make_wheel(tmp_path)) == ()
    broken = tmp_path / "broken.whl"
    broken.write_bytes(b"not a zip")
    assert vendored_libraries(broken) == ()


def test_the_report_lists_them_and_the_epoch_and_validates(tmp_path: Path) -> None:
    members = wheel_members()
    members["demo-1.0.dist-info/sboms/auditwheel.cdx.json"] = _sbom()
    wheel = make_wheel(tmp_path, members=members)
    results = [
        JobResult("cp311-manylinux_x86_64", status="success", wheel=wheel, tested=True),
        JobResult("cp312-manylinux_x86_64", status="failed", failed_step="check"),
    ]
    document = report_document(results, "native", SourceDate(1741064768, "git"))
    jsonschema.validate(document, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert (document["source_date_epoch"], document["source_date_epoch_from"]) == (
        1741064768,
        "git",
    )
    assert document["jobs"][0]["vendored"] == [
        {"name": "zlib1g", "version": "1:1.2.13.dfsg-1", "purl": PURL, "source": "sbom"}
    ]
    assert document["jobs"][1]["vendored"] is None
