"""Which audit commands apply to a wheel, and how audit-command is validated."""

from __future__ import annotations

import pytest

from manywheel.config import parsers
from manywheel.config.model import DEFAULT_AUDIT_COMMAND
from manywheel.errors import ConfigError
from manywheel.steps.audit import applicable_commands, is_abi3_wheel

ABI3 = "demo-1.0-cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
PLAIN = "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"


def test_default_audits_only_abi3_wheels() -> None:
    assert is_abi3_wheel(ABI3)
    assert not is_abi3_wheel(PLAIN)
    assert applicable_commands(DEFAULT_AUDIT_COMMAND, ABI3) == [DEFAULT_AUDIT_COMMAND]
    assert applicable_commands(DEFAULT_AUDIT_COMMAND, PLAIN) == []
    assert applicable_commands("", ABI3) == []


def test_wheel_commands_run_for_every_wheel() -> None:
    both = parsers.audit_command(["check {wheel}", "abi3audit {abi3_wheel}"], "audit-command")
    assert both == "check {wheel} && abi3audit {abi3_wheel}"
    assert applicable_commands(both, PLAIN) == ["check {wheel}"]
    assert applicable_commands(both, ABI3) == ["check {wheel}", "abi3audit {abi3_wheel}"]


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("abi3audit --strict", "neither {abi3_wheel} nor {wheel}"),
        ("cmp {abi3_wheel} {wheel}", "both {abi3_wheel} and {wheel}"),
        (["ok {wheel}", "echo nothing"], "neither {abi3_wheel} nor {wheel}"),
    ],
)
def test_each_command_names_the_wheel_once(value: object, what: str) -> None:
    with pytest.raises(ConfigError) as info:
        parsers.audit_command(value, "pyproject.toml: tool.manywheel.audit-command")
    message = str(info.value)
    assert message.startswith("pyproject.toml: tool.manywheel.audit-command: the audit command")
    assert f"contains {what}." in message
