"""Secrets never reach the engine's command line (visible in ps), and logs are masked as they
are written."""

from __future__ import annotations

from pathlib import Path

from manywheel.backends.container_commands import exec_env
from tests.fast.fakes import FakeBackend, FakeExecutor, job, plan
from tests.fast.harness import run


def test_exec_passes_names_only_and_values_through_the_client_environment() -> None:
    env = {
        "MANYWHEEL_TOKEN": "pypi-s3cr3t",
        "PIP_INDEX_URL": "https://user:hunter22@index.example/simple",
        "PATH": "/opt/venv/bin:/usr/bin",
    }
    args, client = exec_env(env)
    assert "pypi-s3cr3t" not in " ".join(args)
    assert "hunter22" not in " ".join(args)
    assert args == [
        "--env",
        "MANYWHEEL_TOKEN",
        "--env",
        "PIP_INDEX_URL",
        "--env",
        "PATH=/opt/venv/bin:/usr/bin",  # the client keeps its own PATH
    ]
    assert client == {
        "MANYWHEEL_TOKEN": "pypi-s3cr3t",
        "PIP_INDEX_URL": "https://user:hunter22@index.example/simple",
    }


def test_job_logs_never_hold_a_secret_even_while_running(tmp_path: Path) -> None:
    seen_in_log: list[str] = []

    def look_at_log(executor: FakeExecutor, call: object) -> None:
        for log in (tmp_path / "logs").rglob("*.log"):
            seen_in_log.append(log.read_text())

    backend = FakeBackend(configure=lambda e: setattr(e, "on_run", look_at_log))
    the_job = job(
        "cp312-manylinux_x86_64",
        environment=(("API_TOKEN", "tok-123456"),),
        before_build="echo $API_TOKEN tok-123456",
    )
    outcome = run(tmp_path, plan(the_job), backend)
    assert outcome.results["cp312-manylinux_x86_64"].status == "success"
    assert seen_in_log
    assert all("tok-123456" not in text for text in seen_in_log)
    assert any("echo $API_TOKEN ****" in text for text in seen_in_log)


def job_log(tmp_path: Path, environ: dict[str, str], **options: object) -> str:
    """The log of one job run with ``options``, its executor's environment ``environ``."""
    backend = FakeBackend(environ=environ)
    outcome = run(tmp_path, plan(job("cp312-manylinux_x86_64", **options)), backend)
    assert outcome.results["cp312-manylinux_x86_64"].status == "success"
    return "\n".join(p.read_text() for p in (tmp_path / "logs").rglob("*.log"))


def test_a_secret_name_given_another_variables_value_hides_that_value(tmp_path: Path) -> None:
    log = job_log(
        tmp_path,
        {"GH_PAT": "ghp_PatValue123456"},
        environment=(("GITHUB_TOKEN", "$GH_PAT"),),
        before_build="echo token is $GITHUB_TOKEN, pat is $GH_PAT",
    )
    assert "ghp_PatValue123456" not in log
    assert "token is ****, pat is ****" in log


def test_a_value_taken_from_a_secret_variable_is_hidden_whole(tmp_path: Path) -> None:
    log = job_log(
        tmp_path,
        {"API_TOKEN": "tok-FromTheHost42"},
        environment=(("AUTH", "Bearer ${API_TOKEN}"), ("HEADER", "Authorization: $AUTH")),
        test_environment=(("TEST_AUTH", "$AUTH"),),
        before_build="echo auth=$AUTH",
        test_command="echo header=$HEADER test=$TEST_AUTH",
    )
    assert "tok-FromTheHost42" not in log
    assert "auth=****" in log
    assert "header=Authorization: ****" in log
    assert "test=****" in log


def test_an_unset_secret_variable_hides_nothing(tmp_path: Path) -> None:
    log = job_log(
        tmp_path,
        {},
        environment=(("CFLAGS", "-O2 -g $EXTRA_SECRET"),),
        before_build="echo flags=$CFLAGS",
    )
    assert "flags=-O2 -g" in log
