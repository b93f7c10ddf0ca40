"""One contract, every real executor: what the steps rely on means the same natively and in a
container (podman here; docker runs the same ContainerExecutor code)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from manywheel.backends.base import GroupExecutor
from manywheel.planning.plan import GroupSpec
from manywheel.planning.project import load_project
from tests.integration.containers import IMAGES, LABEL_ENV
from tests.projects import make_c_project
from tests.running import command_lines

pytestmark = pytest.mark.integration

# the host holds credentials; commands get only the one environment-pass names
PASSED = ("CONTRACT_PASSED_TOKEN",)


@pytest.fixture(params=["native", "podman"])
def executor(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GroupExecutor]:
    project = load_project(make_c_project(tmp_path / "src", name="contractdemo"))
    monkeypatch.chdir(project.path)  # cwd=None must never mean the user's tree
    monkeypatch.setenv("UV_PUBLISH_TOKEN", "pypi-withheld-3e1")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_withheld-8c2")
    monkeypatch.setenv("CONTRACT_PASSED_TOKEN", "passed-5b7")
    if request.param == "native":
        from manywheel.backends.native import NativeBackend

        backend: object = NativeBackend(project, set())
        group = GroupSpec("", "x86_64", environment_pass=PASSED)
    else:
        from manywheel.backends.container_backend import ContainerBackend
        from manywheel.backends.engine import Engine
        from manywheel.config.parsers import parse_engine

        _, create_args = parse_engine(LABEL_ENV["MANYWHEEL_CONTAINER_ENGINE"], "test")
        backend = ContainerBackend(Engine("podman", create_args), project, set())
        group = GroupSpec(IMAGES["x86_64"], "x86_64", environment_pass=PASSED)
    opened: GroupExecutor = backend.open(group)  # type: ignore[attr-defined]
    opened.start()
    try:
        yield opened
    finally:
        opened.close()


def output(executor: GroupExecutor, tmp_path: Path, argv: list[str], **kw: object) -> str:
    log = tmp_path / "log"
    log.write_text("")
    code = executor.run(argv, log=log, env=kw.pop("env", {}), **kw)  # type: ignore[arg-type]
    assert code == 0, log.read_text()
    return log.read_text().strip()


def test_the_project_keeps_its_name_and_is_a_copy(executor: GroupExecutor, tmp_path: Path) -> None:
    workdir = executor.make_workdir("job")
    project = executor.prepare_source(workdir / "src")
    assert project.name == "contractdemo"
    assert executor.before_all_dir().name == "contractdemo"
    files = output(executor, tmp_path, ["ls", str(project)], cwd=None).split()
    assert sorted(files) == ["contractdemo.c", "pyproject.toml"]


def test_cwd_none_is_the_executors_own_root(executor: GroupExecutor, tmp_path: Path) -> None:
    where = output(executor, tmp_path, ["pwd"], cwd=None)
    assert where != str(Path.cwd())
    assert output(executor, tmp_path, ["pwd"], cwd=PurePosixPath("/tmp")) == "/tmp"


def test_env_is_added_and_secrets_masked(executor: GroupExecutor, tmp_path: Path) -> None:
    log = tmp_path / "masked"
    log.write_text("")
    code = executor.run(
        ["sh", "-c", 'echo "value=$CONTRACT_TOKEN"'],
        cwd=None,
        env={"CONTRACT_TOKEN": "tok-98765"},
        log=log,
        mask=lambda text: text.replace("tok-98765", "****"),
    )
    assert code == 0
    assert log.read_text().strip() == "value=****"


def test_credentials_reach_commands_only_when_named(
    executor: GroupExecutor, tmp_path: Path
) -> None:
    shown = output(
        executor,
        tmp_path,
        ["sh", "-c", 'echo "[$UV_PUBLISH_TOKEN$GITHUB_TOKEN] [$CONTRACT_PASSED_TOKEN]"'],
        cwd=None,
    )
    assert shown == "[] [passed-5b7]"


def test_a_secret_is_on_no_command_line_and_its_log_line_is_masked_while_running(
    executor: GroupExecutor, tmp_path: Path
) -> None:
    """While a command that was given a secret runs, no process on the machine (``ps``) shows
    the value, and its log already holds the line it printed, masked."""
    secret = f"tok-{uuid.uuid4().hex}"
    done = f"/tmp/contract-done-{uuid.uuid4().hex[:8]}"  # in the executor's own filesystem
    waits = f"i=0; while [ ! -e {done} ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done"
    log = tmp_path / "running"
    log.write_text("")
    codes: list[int] = []

    def run() -> None:
        codes.append(
            executor.run(
                ["sh", "-c", f'echo "value=$CONTRACT_TOKEN"; {waits}'],
                cwd=None,
                env={"CONTRACT_TOKEN": secret},
                log=log,
                mask=lambda text: text.replace(secret, "****"),
            )
        )

    thread = threading.Thread(target=run)
    thread.start()
    try:
        deadline = time.monotonic() + 30  # the command waits up to 60 s
        while "value=" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert thread.is_alive()  # what follows is seen while the command runs
        assert log.read_text().strip() == "value=****"
        assert [line for line in command_lines() if secret in line] == []
    finally:
        output(executor, tmp_path, ["touch", done], cwd=None)
        thread.join(60)
    assert codes == [0]
    assert secret not in log.read_text()


def test_list_put_and_copy_out(executor: GroupExecutor, tmp_path: Path) -> None:
    workdir = executor.make_workdir("files")
    source = tmp_path / "a.whl"
    source.write_bytes(b"wheel bytes")
    executor.put_file(source, workdir / "deep" / "a.whl")
    executor.put_file(source, workdir / "deep" / "b.txt")
    output(executor, tmp_path, ["mkdir", "-p", str(workdir / "deep" / "dir.whl")], cwd=None)
    assert executor.list_files(workdir / "deep", ".whl") == [workdir / "deep" / "a.whl"]
    assert executor.list_files(workdir / "missing", ".whl") == []
    back = tmp_path / "back.whl"
    executor.copy_out(workdir / "deep" / "a.whl", back)
    assert back.read_bytes() == b"wheel bytes"
    with pytest.raises(OSError):  # noqa: PT011 - native and container raise different OSErrors
        executor.copy_out(workdir / "nope.whl", tmp_path / "nope.whl")


def test_a_program_that_cannot_start_is_status_127(executor: GroupExecutor, tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("")
    assert executor.run(["/no/such/program"], cwd=None, env={}, log=log) == 127


def test_nothing_runs_after_cancel(executor: GroupExecutor, tmp_path: Path) -> None:
    executor.cancel()
    log = tmp_path / "log"
    log.write_text("")
    assert executor.run(["true"], cwd=None, env={}, log=log) != 0
