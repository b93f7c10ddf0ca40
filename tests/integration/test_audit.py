"""The audit step for real: abi3audit (from the package index) on real limited-API wheels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.containers import image_env
from tests.projects import make_c_project
from tests.running import manywheel

pytestmark = pytest.mark.integration

TEST = """
test-command = "python -c 'import demo; assert demo.answer() == 42'"
"""
# exported, so the import of the private, non-stable-ABI _Py_HashBytes stays in the .so
FULL_API_CALL = 'Py_hash_t demo_hash(void) { return _Py_HashBytes("", 0); }\n'


def build(project: Path, out: Path, *extra: str) -> tuple[int, str, dict[str, Any]]:
    report = out.parent / f"{out.name}.json"
    proc = manywheel(
        "build", str(project), "-o", str(out), "--only", "cp311-manylinux_x86_64",
        "--report", str(report), *extra,
    )  # fmt: skip
    (job,) = json.loads(report.read_text())["jobs"]
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split()), job


def test_a_limited_api_wheel_passes_abi3audit(tmp_path: Path) -> None:
    project = make_c_project(tmp_path, limited_api="cp38", manywheel_config=TEST)
    code, output, job = build(project, tmp_path / "out")
    assert code == 0, output
    (wheel,) = (tmp_path / "out").glob("*.whl")
    assert wheel.name.startswith("demo-0.1.0-cp38-abi3-manylinux")
    assert job["tested"]
    assert "audit" in job["timings"]
    log = Path(job["log"]).read_text()
    assert "abi3audit --strict --report" in log
    assert '"is_abi3": true' in log
    # its venv was made while the wheel was repaired; its lines follow the repair's
    repair, venv = log.index("[manywheel] repair: $ "), log.index("[manywheel] audit: $ ")
    assert repair < venv < log.index("[manywheel] audit: $ sh -c 'abi3audit --strict --report")
    assert " venv " in log[venv : log.index("\n", venv + 1)]


def test_full_api_symbol_in_an_abi3_wheel_fails_with_the_finding(tmp_path: Path) -> None:
    project = make_c_project(
        tmp_path, limited_api="cp38", claim_only=True, extra_c=FULL_API_CALL, manywheel_config=TEST
    )
    code, output, job = build(project, tmp_path / "out")
    assert code == 1, output
    assert job["status"] == "failed"
    assert job["failed_step"] == "audit"
    assert (
        "cp311-manylinux_x86_64 failed in step audit: audit failed: 'abi3audit --strict "
        "--report {abi3_wheel}' exited with status 1 on demo-0.1.0-cp38-abi3-manylinux"
    ) in output
    assert '"non_abi3_symbols": ["_Py_HashBytes"]' in output  # abi3audit's own finding
    assert "1 extensions scanned; 0 ABI version mismatches and 1 ABI violations found" in output
    assert job["error"].startswith("audit failed: 'abi3audit --strict --report")
    assert list((tmp_path / "out").glob("*.whl")) == []  # not tested, not delivered
    assert "test" not in job["timings"]


def test_custom_commands_and_skipping(tmp_path: Path) -> None:
    """{wheel} commands run for every wheel; an empty audit-command skips abi3 wheels too."""
    plain = make_c_project(
        tmp_path / "plain",
        manywheel_config="""
        audit-requires = []
        audit-command = ["test -f {wheel}", "echo audited {wheel}", "abi3audit {abi3_wheel}"]
    """,
    )
    code, output, job = build(plain, tmp_path / "out-plain")
    assert code == 0, output
    log = Path(job["log"]).read_text()
    assert "audited /" in log
    assert "demo-0.1.0-cp311-cp311-manylinux" in log
    assert "abi3audit" not in log  # not an abi3 wheel: the {abi3_wheel} command is left out
    skipped = make_c_project(
        tmp_path / "skipped",
        limited_api="cp38",
        claim_only=True,
        extra_c=FULL_API_CALL,
        manywheel_config='audit-command = ""\n',
    )
    code, output, job = build(skipped, tmp_path / "out-skipped")
    assert code == 0, output
    assert "nothing to run for" in Path(job["log"]).read_text()


def test_an_audit_command_must_name_the_wheel(tmp_path: Path) -> None:
    project = make_c_project(tmp_path, manywheel_config='audit-command = "abi3audit --strict"\n')
    proc = manywheel("build", str(project), "-o", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith(
        "contains neither {abi3_wheel} nor {wheel}. Each audit command names the wheel once: "
        "{abi3_wheel} (run only for abi3 wheels) or {wheel} (run for every wheel)."
    )
    assert "Traceback" not in proc.stderr


@pytest.mark.container
def test_audit_of_a_wheel_built_in_a_container(tmp_path: Path) -> None:
    """The wheel comes out of the container; abi3audit runs on the host, as in cibuildwheel."""
    project = make_c_project(
        tmp_path, limited_api="cp38", claim_only=True, extra_c=FULL_API_CALL, manywheel_config=TEST
    )
    report = tmp_path / "report.json"
    proc = manywheel(
        "build", str(project), "-o", str(tmp_path / "out"), "--only", "cp311-manylinux_x86_64",
        "--report", str(report), env=image_env("podman", tmp_path),
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (job,) = json.loads(report.read_text())["jobs"]
    assert job["failed_step"] == "audit"
    assert '"non_abi3_symbols": ["_Py_HashBytes"]' in job["error"]
