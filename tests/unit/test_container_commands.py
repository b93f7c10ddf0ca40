"""The engine commands that start and remove a group's container (backends/container_commands.py):
its project and work dirs on volumes named after it, removed after it, also when the container
was removed from outside. subprocess.run is replaced by a recorder: no engine runs here."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from typing import Any

import pytest

from manywheel.backends import container_commands
from manywheel.backends.container_commands import ContainerCommands
from manywheel.backends.engine import Engine
from manywheel.backends.processes import Processes
from manywheel.errors import CleanupFailed


def commands() -> ContainerCommands:
    engine = Engine("podman", ("--label", "team=x"))
    return ContainerCommands(engine, "img", "x86_64", emulated=False, processes=Processes())


def test_the_container_starts_with_volumes_named_after_it() -> None:
    c = commands()
    argv = c.run_argv(["--volume", "/host/ccache:/manywheel-cache/ccache"])
    assert c.volumes == [f"{c.name}-project", f"{c.name}-work"]
    volumes = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--volume"]
    assert volumes == [
        "/host/ccache:/manywheel-cache/ccache",
        f"{c.name}-project:/project",
        f"{c.name}-work:/tmp/manywheel",
    ]
    assert argv[-5:] == ["--label", "team=x", "img", "sleep", "infinity"]  # create-args, image


def _recorder(monkeypatch: pytest.MonkeyPatch, failing: Sequence[str]) -> list[list[str]]:
    """subprocess.run recorded; a command whose second word is in ``failing`` exits 1."""
    seen: list[list[str]] = []

    def run(argv: list[str], **_: Any) -> subprocess.CompletedProcess[bytes]:
        seen.append(list(argv))
        code = 1 if argv[1] in failing else 0
        return subprocess.CompletedProcess(argv, code, b"", b"no such container" if code else b"")

    monkeypatch.setattr(container_commands.subprocess, "run", run)
    return seen


def test_removal_removes_the_container_then_its_volumes(monkeypatch: pytest.MonkeyPatch) -> None:
    c = commands()
    seen = _recorder(monkeypatch, failing=())
    c.remove()
    assert seen == [
        ["podman", "rm", "--force", "--volumes", "--time", "0", c.name],
        ["podman", "volume", "rm", "--force", *c.volumes],
    ]


def test_a_container_removed_from_outside_still_has_its_volumes_removed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    c = commands()
    # rm fails, and inspect says the container is gone
    seen = _recorder(monkeypatch, failing=("rm", "container"))
    c.remove()
    assert seen[-1] == ["podman", "volume", "rm", "--force", *c.volumes]


def test_volumes_that_cannot_be_removed_say_how(monkeypatch: pytest.MonkeyPatch) -> None:
    c = commands()
    _recorder(monkeypatch, failing=("volume",))
    with pytest.raises(CleanupFailed) as raised:
        c.remove()
    assert str(raised.value) == (
        f"could not remove the volumes of the container {c.name} (no such container); remove "
        f"them with 'podman volume rm --force {c.volumes[0]} {c.volumes[1]}'."
    )


def test_a_failed_start_quotes_the_engines_error_not_its_usage_text() -> None:
    said = (
        'invalid argument "nofile=bogus" for "--ulimit" flag: strconv.ParseInt: parsing '
        '"bogus": invalid syntax\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n'
        "Run 'docker run --help' for more information\n"
    )
    error = commands().not_started(said, 125)
    assert error.message.startswith(
        "podman could not start a container from 'img' (invalid argument \"nofile=bogus\" "
        'for "--ulimit" flag: strconv.ParseInt: parsing "bogus": invalid syntax). '
    )
