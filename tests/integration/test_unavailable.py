"""A selected CPython the platform lacks is named by `plan`, by `build`'s first lines and in the
report, for real: a native run asking for a version no interpreter here provides, and a custom
image without it."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from manywheel.config.identifiers import PYTHON_VERSIONS
from manywheel.planning.interpreters import discover
from tests.integration.containers import IMAGES, image_env
from tests.projects import make_c_project
from tests.running import manywheel

pytestmark = pytest.mark.integration

ON_HOST = {i.identifier.version for i in discover() if not i.identifier.free_threaded}
# the newest final CPython manywheel knows and this host lacks (3.15 on the test machines)
MISSING = next(v for v in reversed(PYTHON_VERSIONS[:-1]) if v not in ON_HOST)
PRESENT = max(v for v in ON_HOST if v >= (3, 8))
MISSING_ID = f"cp3{MISSING[1]}-manylinux_x86_64"
PRESENT_ID = f"cp3{PRESENT[1]}-manylinux_x86_64"
WHY = f"no CPython 3.{MISSING[1]} found on this host (PATH, pyenv, /opt/python, uv)"
ENV = {**os.environ, "MANYWHEEL_BUILD": f"cp3{PRESENT[1]}-* cp3{MISSING[1]}-*"}


def test_plan_names_the_missing_cpython_and_why(tmp_path: Path) -> None:
    project = make_c_project(tmp_path)
    proc = manywheel("plan", str(project), env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [PRESENT_ID]  # stdout stays one identifier a line
    assert f"note: selected but not built: {MISSING_ID}: {WHY}\n" in proc.stderr
    as_json = manywheel("plan", str(project), "--json", env=ENV)
    unavailable = json.loads(as_json.stdout)["unavailable"]
    assert unavailable == [{"identifier": MISSING_ID, "reason": WHY}]


def test_a_default_selection_names_nothing(tmp_path: Path) -> None:
    """'*' selects every CPython manywheel knows: a host without some is no news."""
    proc = manywheel("plan", str(make_c_project(tmp_path)))
    assert proc.returncode == 0, proc.stderr
    assert "not built" not in proc.stderr


def test_build_says_it_first_and_the_report_records_it(tmp_path: Path) -> None:
    project = make_c_project(tmp_path)
    report = tmp_path / "report.json"
    proc = manywheel(
        "build", str(project), "-o", str(tmp_path / "out"), "--report", str(report), env=ENV
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first = proc.stderr.splitlines()[:2]
    assert first[0].endswith(f"building 1 wheel(s) with --platform native: {PRESENT_ID}")
    assert first[1].endswith(f"] selected but not built: {MISSING_ID}: {WHY}")
    document = json.loads(report.read_text())
    schema = json.loads(resources.files("manywheel.schemas").joinpath("report-v1.json").read_text())
    jsonschema.validate(document, schema)
    assert document["unavailable"] == [{"identifier": MISSING_ID, "reason": WHY}]
    assert [j["identifier"] for j in document["jobs"]] == [PRESENT_ID]


@pytest.mark.container
def test_a_version_the_custom_image_lacks_is_named_with_the_image(tmp_path: Path) -> None:
    """The i686 test image holds Debian's CPython 3.11 alone: cp313 for i686 is named, with
    the image, instead of vanishing from the plan (podman really lists /opt/python)."""
    image = IMAGES["i686"]
    env = image_env("podman", tmp_path, MANYWHEEL_BUILD="cp311-manylinux_i686 cp313-manylinux_i686")
    proc = manywheel("plan", str(make_c_project(tmp_path)), "--archs", "i686", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["cp311-manylinux_i686"]
    assert (
        f"note: selected but not built: cp313-manylinux_i686: the image {image} has no "
        "/opt/python entry for it\n"
    ) in proc.stderr
