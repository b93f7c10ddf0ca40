"""A library's error is shown as that tool's error, never as a bug in manywheel."""

from __future__ import annotations

from pathlib import Path

import pytest

from manywheel.diagnose import explain as explain_module
from manywheel.errors import ToolError
from tests.fast.fakes import Call, FakeBackend, FakeExecutor, job, plan, wheel_bytes
from tests.fast.harness import run


@pytest.fixture
def auditwheel_rejects_libc(monkeypatch: pytest.MonkeyPatch) -> None:
    from auditwheel import wheel_abi
    from auditwheel.error import InvalidLibcError

    def analyze(*args: object, **kwargs: object) -> None:
        raise InvalidLibcError("couldn't detect libc of demo/_demo.so")

    monkeypatch.setattr(wheel_abi, "analyze_wheel_abi", analyze)


@pytest.mark.usefixtures("auditwheel_rejects_libc")
def test_explain_reports_auditwheel_errors_as_auditwheels(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-0.1.0-cp312-cp312-linux_x86_64.whl"
    wheel.write_bytes(wheel_bytes(wheel.name, ""))
    with pytest.raises(ToolError) as info:
        explain_module.explain(wheel)
    assert info.value.message == (
        f"auditwheel cannot analyse {wheel.name}: couldn't detect libc of demo/_demo.so "
        "(InvalidLibcError)"
    )


@pytest.mark.usefixtures("auditwheel_rejects_libc")
def test_failed_repair_shows_auditwheels_error_not_a_bug(tmp_path: Path) -> None:
    backend = FakeBackend(configure=lambda e: setattr(e, "fail_when", {"auditwheel repair": 1}))
    outcome = run(tmp_path, plan(job("cp312-manylinux_x86_64")), backend)
    result = outcome.results["cp312-manylinux_x86_64"]
    assert result.status == "failed"
    assert result.failed_step == "repair"
    assert result.error is not None
    assert "bug in manywheel" not in result.error
    assert "internal error" not in result.error
    assert "(no explanation: auditwheel cannot analyse" in result.error
    assert "couldn't detect libc" in result.error


def test_a_repair_command_whose_program_is_not_there_says_so_not_why_the_wheel_fails(
    tmp_path: Path,
) -> None:
    """Exit 127 from the repair (pybase64's second command runs python3.14, which a custom
    image may not have): the program is named, and no policy explanation of a wheel that
    auditwheel repaired well is shown."""
    ident = "cp312-manylinux_x86_64"
    command = "auditwheel repair -w {dest_dir} {wheel} && echo sh: 1: python3.14: not found"
    backend = FakeBackend(configure=lambda e: setattr(e, "fail_when", {"python3.14": 127}))
    outcome = run(tmp_path, plan(job(ident, repair_wheel_command=command)), backend)
    result = outcome.results[ident]
    assert (result.status, result.failed_step) == ("failed", "repair")
    assert result.error == (
        "repair failed: the command exited with status 127: it ran python3.14, which is not in "
        "the image. Install it in the image (system-packages or before-all), or change "
        "repair-wheel-command"
    )


def test_a_repair_command_that_fails_after_auditwheel_wrote_the_wheel_says_so(
    tmp_path: Path,
) -> None:
    """A second command of the repair (an SBOM script) fails after auditwheel repaired the
    wheel: the failure is the command's own, and auditwheel's explanation of a wheel it
    repaired well would mislead."""
    ident = "cp312-manylinux_x86_64"
    command = "auditwheel repair -w {dest_dir} {wheel} && python embed_sbom.py {dest_dir}"

    def sbom_fails(executor: FakeExecutor, call: Call) -> int | None:
        if "embed_sbom.py" not in call.text:
            return None
        executor._interpret(call)  # auditwheel's part: the repaired wheel is written
        return 1

    backend = FakeBackend(configure=lambda e: setattr(e, "on_run", sbom_fails))
    outcome = run(tmp_path, plan(job(ident, repair_wheel_command=command)), backend)
    result = outcome.results[ident]
    assert (result.status, result.failed_step) == ("failed", "repair")
    assert result.error == (
        "repair failed: the command exited with status 1: it wrote "
        "demo-0.1.0-cp312-cp312-manylinux_2_17_x86_64.whl to {dest_dir} before it failed, so "
        "the wheel was repaired and the failure is the command's own (its output is in the log)"
    )
