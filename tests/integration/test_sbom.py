"""A repaired wheel that grafts a system library (libffi: libz is on the manylinux allow-list) carries auditwheel's SBOM, and the report,
the summary and ``manywheel explain`` name the library with its version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.integration.containers import image_env, manywheel_containers
from tests.projects import make_c_project
from tests.running import manywheel

pytestmark = pytest.mark.integration

HOST = f"cp{sys.version_info[0]}{sys.version_info[1]}-manylinux_x86_64"
FFI_C = """\
#include <ffi.h>
ffi_status ffidemo_prep(ffi_cif *cif) { return ffi_prep_cif(cif, FFI_DEFAULT_ABI, 0, &ffi_type_void, NULL); }
"""


def _deb_version(package: str) -> str:
    proc = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=True
    )
    return proc.stdout


def _sbom_of(wheel: Path) -> dict[str, object]:
    with zipfile.ZipFile(wheel) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".dist-info/sboms/auditwheel.cdx.json")]
        document: dict[str, object] = json.loads(zf.read(name))
    return document


def test_native_wheel_linking_libffi_lists_it_with_its_version(tmp_path: Path) -> None:
    project = make_c_project(tmp_path / "src", "ffidemo", extra_c=FFI_C, libraries=("ffi",))
    out, report = tmp_path / "out", tmp_path / "report.json"
    env = {**os.environ, "MANYWHEEL_TEST_COMMAND": 'python -c "import ffidemo"'}
    proc = manywheel(
        *("build", str(project), "-o", str(out), "--only", HOST, "--report", str(report)),
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("*.whl")
    version = _deb_version("libffi8")

    sbom = _sbom_of(wheel)
    assert sbom["bomFormat"] == "CycloneDX"
    (job,) = json.loads(report.read_text(encoding="utf-8"))["jobs"]
    assert job["tested"] is True
    assert {"name": "libffi8", "version": version, "source": "sbom"}.items() <= (
        job["vendored"][0].items()
    )
    assert job["vendored"][0]["purl"].startswith("pkg:deb/debian/libffi8@")
    assert "libffi8" in proc.stdout  # the summary table's "vendored" column

    explained = manywheel("explain", str(wheel), env=env)
    assert explained.returncode == 0, explained.stderr
    assert f"vendored libraries (from its SBOM): libffi8 {version}" in explained.stdout
    as_json = json.loads(manywheel("explain", str(wheel), "--json", env=env).stdout)
    assert as_json["vendored"][0]["name"] == "libffi8"


@pytest.mark.container
def test_podman_wheel_with_libffi_lists_it_with_its_version(tmp_path: Path) -> None:
    project = make_c_project(tmp_path / "src", "ffidemo", extra_c=FFI_C, libraries=("ffi",))
    out, report = tmp_path / "out", tmp_path / "report.json"
    env = image_env(
        "podman",
        tmp_path,
        MANYWHEEL_BUILD="cp312-manylinux_x86_64",
        MANYWHEEL_SYSTEM_PACKAGES="libffi",
        MANYWHEEL_TEST_COMMAND='python -c "import ffidemo"',
    )
    proc = manywheel("build", str(project), "-o", str(out), "--report", str(report), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("*.whl")
    assert _sbom_of(wheel)["bomFormat"] == "CycloneDX"
    (job,) = json.loads(report.read_text(encoding="utf-8"))["jobs"]
    (libffi,) = job["vendored"]
    # the test image is Debian bookworm, as this host: the same package and version
    assert (libffi["name"], libffi["version"], libffi["source"]) == (
        "libffi8",
        _deb_version("libffi8"),
        "sbom",
    )
    assert manywheel_containers("podman") == []
