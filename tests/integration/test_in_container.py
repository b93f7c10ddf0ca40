"""`manywheel build` run inside a manylinux image, with no engine (cibuildwheel issue #2875).

The real test image (tests/images/build-images.sh) is started with podman; manywheel is
installed from this checkout into the image's tools venv, and AUDITWHEEL_PLAT is set as pypa's
images set it (the test image, built from Debian packages, does not set it itself).
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from tests.integration.containers import IMAGES
from tests.projects import make_c_project

pytestmark = [pytest.mark.integration, pytest.mark.container]

CHECKOUT = Path(__file__).resolve().parents[2]
PLAT = "manylinux_2_28_x86_64"
SCRIPT = """
set -e
cp -r /checkout /tmp/manywheel-src && rm -rf /tmp/manywheel-src/.venv /tmp/manywheel-src/.git
/opt/_internal/tools/bin/uv pip install --quiet --python /opt/_internal/tools/bin/python /tmp/manywheel-src
mw=/opt/_internal/tools/bin/manywheel
ls /opt/python > /out/opt-python.txt
$mw plan /project --json > /out/plan.json
$mw build /project -o /out/wheelhouse --report /out/report.json > /out/build.out 2>&1
"""


def test_build_inside_a_manylinux_image_uses_its_pythons_and_policy(tmp_path: Path) -> None:
    project = make_c_project(
        tmp_path,
        manywheel_config="""
        build = "cp311-* cp312-*"
        test-command = "python -c 'import demo; assert demo.answer() == 42'"
    """,
    )
    out = tmp_path / "out"
    out.mkdir()
    name = f"manywheel-in-container-test-{uuid.uuid4().hex[:8]}"
    argv = [
        "podman", "run", "--rm", "--name", name,
        "-e", f"AUDITWHEEL_PLAT={PLAT}",
        "-e", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
        "-e", "PIP_CERT=/etc/ssl/certs/ca-certificates.crt",
        "-v", f"{CHECKOUT}:/checkout:ro",
        "-v", f"{project}:/project:ro",
        "-v", f"{out}:/out",
        IMAGES["x86_64"], "sh", "-c", SCRIPT,
    ]  # fmt: skip
    try:
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    finally:
        subprocess.run(["podman", "rm", "-f", "--ignore", name], capture_output=True, check=False)
    build_out = (out / "build.out").read_text() if (out / "build.out").exists() else ""
    assert proc.returncode == 0, proc.stdout + proc.stderr + build_out
    # the plan is the image's /opt/python, nothing else the image may hold (pyenv copies, PATH)
    opt_python = (out / "opt-python.txt").read_text().split()
    plan = json.loads((out / "plan.json").read_text())
    assert {job["python"] for job in plan["jobs"]} <= {
        f"/opt/python/{entry}/bin/python" for entry in opt_python
    }
    assert [job["identifier"] for job in plan["jobs"]] == [
        "cp311-manylinux_x86_64",
        "cp312-manylinux_x86_64",
    ]
    note = f"inside a {PLAT} image (AUDITWHEEL_PLAT): building with the interpreters in "
    assert plan["libc_floor"].startswith(note)
    assert note in build_out
    # repaired to the image's policy, tested, and no glibc-floor warning (the policy is chosen)
    # (auditwheel adds the older tags the wheel also meets: manylinux1 and manylinux_2_5)
    wheels = sorted((out / "wheelhouse").glob("*.whl"))
    assert [w.name.split("-")[2] for w in wheels] == ["cp311", "cp312"]
    for wheel in wheels:
        assert PLAT in {t.platform for t in parse_wheel_filename(wheel.name)[3]}
    jobs = json.loads((out / "report.json").read_text())["jobs"]
    assert [(j["status"], j["tested"], j["warnings"]) for j in jobs] == [("success", True, [])] * 2
