"""A group that cannot start is reported once, with its own exit code; its jobs did not start."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from manywheel.errors import ConfigError, EnvironmentProblem, ExitCode
from tests.fast.fakes import FakeBackend, FakeExecutor, job, plan
from tests.fast.harness import run


def test_missing_image_is_one_error_with_exit_4(tmp_path: Path) -> None:
    def configure(executor: FakeExecutor) -> None:
        if executor.group.image == "missing":
            executor.start_error = EnvironmentProblem("the image 'missing' cannot be pulled")

    backend = FakeBackend(configure=configure)
    jobs = [job(f"cp3{m}-manylinux_x86_64", image="missing") for m in (9, 10, 11)]
    jobs.append(job("cp312-manylinux_i686", image="present"))
    outcome = run(tmp_path, plan(*jobs), backend, jobs=3)

    assert outcome.status() == {
        "cp39-manylinux_x86_64": "not-started",
        "cp310-manylinux_x86_64": "not-started",
        "cp311-manylinux_x86_64": "not-started",
        "cp312-manylinux_i686": "success",
    }
    missing = next(e for e in backend.opened if e.group.image == "missing")
    assert missing.events.count("start") == 1  # not retried per job
    assert missing.workdirs == []
    assert [e.message for e in outcome.scheduler.start_errors] == [
        "the image 'missing' cannot be pulled"
    ]
    assert outcome.scheduler.exit_code == ExitCode.ENVIRONMENT
    assert outcome.output.count("cannot be pulled") == 1
    assert "cp39-manylinux_x86_64: not started" in outcome.output
    assert "cp39-manylinux_x86_64: cancelled" not in outcome.output
    assert "bug in manywheel" not in outcome.output
    assert "close" in missing.events  # a half-started group is still cleaned up


def test_failed_project_copy_is_a_start_error_not_a_bug(tmp_path: Path) -> None:
    error = ConfigError("cannot copy the project '/p' to build from it (/p/x: Permission denied).")
    backend = FakeBackend(configure=lambda e: setattr(e, "start_error", error))
    outcome = run(tmp_path, plan(job("cp39-manylinux_x86_64")), backend)
    result = outcome.results["cp39-manylinux_x86_64"]
    assert result.status == "not-started"
    assert result.error == error.message
    assert outcome.scheduler.exit_code == ExitCode.CONFIG


def test_failed_before_all_stops_only_its_group(tmp_path: Path) -> None:
    def configure(executor: FakeExecutor) -> None:
        executor.fail_when = {"exit 9": 9}

    backend = FakeBackend(configure=configure)
    jobs = [
        job("cp39-manylinux_x86_64", before_all="exit 9"),
        job("cp310-manylinux_x86_64", before_all="exit 9"),
        job("cp311-manylinux_x86_64"),
    ]
    outcome = run(tmp_path, plan(*jobs), backend, jobs=1)
    assert outcome.status() == {
        "cp39-manylinux_x86_64": "not-started",
        "cp310-manylinux_x86_64": "not-started",
        "cp311-manylinux_x86_64": "success",
    }
    (error,) = outcome.scheduler.start_errors
    assert error.message.startswith("before-all failed for img [x86_64]")
    assert outcome.scheduler.exit_code == ExitCode.FAILED


@pytest.mark.parametrize("slow", ["first", "second"])
def test_the_first_group_in_plan_order_gives_the_exit_code(tmp_path: Path, slow: str) -> None:
    """Two groups fail to start with different codes: whichever fails first, the exit code
    (and the error `manywheel build` raises, start_errors[0]) is the first group's in the plan."""
    errors = {
        "first": ConfigError("cannot copy the project '/p' to build from it"),
        "second": EnvironmentProblem("the image 'second' cannot be pulled"),
    }
    started = {image: threading.Event() for image in errors}

    def start(executor: FakeExecutor) -> None:
        image = executor.group.image
        started[image].set()
        if image == slow:  # fail only once the other group has failed
            other = next(i for i in errors if i != image)
            assert started[other].wait(10)
            time.sleep(0.3)

    def configure(executor: FakeExecutor) -> None:
        executor.start_error = errors[executor.group.image]
        executor.on_start = start

    jobs = [
        job("cp39-manylinux_x86_64", image="first"),
        job("cp310-manylinux_x86_64", image="second"),
    ]
    outcome = run(tmp_path, plan(*jobs), FakeBackend(configure=configure), jobs=2)

    reported = [ln for ln in outcome.output.splitlines() if "could not start" in ln]
    assert slow in reported[-1]  # the slow group did fail last
    assert outcome.scheduler.exit_code == ExitCode.CONFIG
    assert [e.exit_code for e in outcome.scheduler.start_errors] == [
        ExitCode.CONFIG,
        ExitCode.ENVIRONMENT,
    ]


@pytest.mark.parametrize(
    ("before_all", "detail"),
    [
        # a cibuildwheel before-all written for pypa's images, in an image without yum
        (
            "yum install -y libffi-devel --enablerepo=x",  # not read as libraries: an option
            "(own before-all/system-packages) (the image has no yum; system-packages installs "
            "libraries with the package manager the image has (yum, dnf, apt-get or apk), under "
            "that manager's names: name them there instead)",
        ),
        # one that only installs known libraries: the system-packages it amounts to
        (
            "yum install -y libffi-devel",
            "(own before-all/system-packages) (the image has no yum; system-packages = "
            '["libffi-devel"] installs the same with the package manager the image has (yum, '
            "dnf, apt-get or apk): use it instead of this before-all)",
        ),
        # another failure: the command's last line (echoed by the fake, failed by fail_when)
        (
            "true && echo sh: 0: cannot open tools/install_yajl.sh: No such file",
            "(own before-all/system-packages) (exit status 2: sh: 0: cannot open "
            "tools/install_yajl.sh: No such file)",
        ),
    ],
)
def test_a_failed_before_all_says_why_in_its_error(
    tmp_path: Path, before_all: str, detail: str
) -> None:
    def configure(executor: FakeExecutor) -> None:
        executor.missing = frozenset({"yum"})
        executor.fail_when = {"true &&": 2}

    backend = FakeBackend(configure=configure)
    outcome = run(tmp_path, plan(job("cp312-manylinux_x86_64", before_all=before_all)), backend)
    (error,) = outcome.scheduler.start_errors
    assert error.message.startswith(f"before-all failed for img [x86_64] {detail}; see ")


@pytest.mark.parametrize(
    ("before_all", "said", "advice"),
    [
        # pycares': apt in an image whose lists were removed; its before-all reads as libffi
        (
            "if command -v apt; then apt install libffi-dev; fi",
            "E: Unable to locate package libffi-dev",
            "apt-get knows no package libffi-dev: the image's package lists are empty until "
            "apt-get update runs (images remove them to stay small), or the name is not this "
            'distribution\'s; system-packages = ["libffi-dev"] updates the lists and installs '
            "the same under the image's own names: use it instead of this before-all",
        ),
        (
            "apk add libfoo-dev && make",
            "ERROR: unable to select packages:\n  libfoo-dev (no such package):",
            "apk knows no package libfoo-dev: the image's package lists are empty until apk "
            "update runs (images remove them to stay small), or the name is not this "
            "distribution's; run apk update before the install, or name the libraries in "
            "system-packages, which updates the lists and installs them under the image's own "
            "names",
        ),
    ],
)
def test_a_before_all_install_of_a_package_the_manager_does_not_know_says_why(
    tmp_path: Path, before_all: str, said: str, advice: str
) -> None:
    def configure(executor: FakeExecutor) -> None:
        executor.fail_when = {before_all: 100}
        executor.says_when = {before_all: said}

    backend = FakeBackend(configure=configure)
    outcome = run(tmp_path, plan(job("cp312-manylinux_x86_64", before_all=before_all)), backend)
    (error,) = outcome.scheduler.start_errors
    assert error.message.startswith(
        f"before-all failed for img [x86_64] (own before-all/system-packages) ({advice}); see "
    )
