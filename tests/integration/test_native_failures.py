"""What users see when things go wrong: exact error lines, exit codes, kept wheels."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.projects import make_c_project
from tests.running import error_line, manywheel

pytestmark = pytest.mark.integration

BROKEN_ON_310 = "#if PY_MINOR_VERSION == 10\n#error this project does not build on 3.10\n#endif\n"


def test_build_failing_for_one_python_keeps_the_others(tmp_path: Path) -> None:
    project = make_c_project(tmp_path, extra_c=BROKEN_ON_310)
    out = tmp_path / "out"
    proc = manywheel("build", str(project), "-o", str(out), "--archs", "auto")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    wheels = sorted(p.name for p in out.glob("*.whl"))
    assert len(wheels) == 5
    assert not any("cp310" in w for w in wheels)
    assert "cp310-manylinux_x86_64 failed in step build" in proc.stdout
    assert "this project does not build on 3.10" in proc.stdout  # the log tail
    assert "command: " in proc.stdout
    assert "full log: " in proc.stdout
    assert "1 of 6 job(s) did not succeed" in proc.stdout


def test_fail_fast_cancels_the_rest(tmp_path: Path) -> None:
    project = make_c_project(tmp_path, extra_c="#error never builds\n")
    proc = manywheel(
        "build", str(project), "-o", str(tmp_path / "out"), "--fail-fast", "--jobs", "1"
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "cancelled" in proc.stdout
    assert proc.stdout.count("failed in step build") == 1


def test_failing_test_command(tmp_path: Path) -> None:
    project = make_c_project(
        tmp_path,
        manywheel_config="""
        test-command = "python -c 'import demo; assert demo.answer() == 41, \\"wrong answer\\"'"
    """,
    )
    out = tmp_path / "out"
    proc = manywheel("build", str(project), "-o", str(out), "--only", "cp312-manylinux_x86_64")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "cp312-manylinux_x86_64 failed in step test" in proc.stdout
    assert "wrong answer" in proc.stdout
    assert list(out.glob("*.whl")) == []  # an untested wheel is not delivered


@pytest.mark.parametrize(
    ("pyproject", "expected"),
    [
        ("[tool.manywheel\nskip = 1", "pyproject.toml is not valid TOML"),
        (
            "[tool.manywheel]\ntest-comand = 'x'",
            "unknown option 'test-comand'. Did you mean 'test-command'?",
        ),
        (
            "[tool.manywheel]\nbuild = 'cp312-linux_x86_64'",
            "the pattern 'cp312-linux_x86_64' matches no build identifier",
        ),
        ("[tool.manywheel]\nbuild = 'cp314-*'", "nothing to build: no identifier is selected"),
    ],
)
def test_bad_configuration(tmp_path: Path, pyproject: str, expected: str) -> None:
    project = make_c_project(tmp_path)
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text().split("[tool.manywheel]")[0] + pyproject
    )
    proc = manywheel("build", str(project), "-o", str(tmp_path / "out"))
    assert proc.returncode == (3 if "nothing to build" in expected else 2), (
        proc.stdout + proc.stderr
    )
    assert expected in error_line(proc.stderr)


def test_missing_path_and_bad_flags(tmp_path: Path) -> None:
    proc = manywheel("build", str(tmp_path / "nope"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert error_line(proc.stderr) == (
        f"manywheel: error: '{tmp_path / 'nope'}' does not exist. Give a project directory "
        "(with pyproject.toml or setup.py) or an sdist (.tar.gz/.zip)."
    )
    project = make_c_project(tmp_path)
    proc = manywheel("build", str(project), "--jobs", "lots")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert (
        error_line(proc.stderr)
        == "manywheel: error: --jobs: 'lots' is not valid; expected a whole number from 0 to 256."
    )
    proc = manywheel("plan", str(project), "--only", "cp312-manylinux_sparc")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "'cp312-manylinux_sparc' is not a build identifier" in error_line(proc.stderr)


def test_plan_prints_identifiers(tmp_path: Path) -> None:
    project = make_c_project(tmp_path, requires_python=">=3.11")
    proc = manywheel("plan", str(project))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split() == [
        "cp311-manylinux_x86_64",
        "cp312-manylinux_x86_64",
        "cp313-manylinux_x86_64",
    ]


def test_version_and_help() -> None:
    version = manywheel("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("manywheel 0.")
    commands = ["build", "plan", "sdist", "publish", "explain", "doctor", "ci", "migrate", "cache"]
    for args in (["--help"], *([name, "--help"] for name in commands)):
        proc = manywheel(*args)
        assert proc.returncode == 0, args
        assert proc.stdout.startswith("usage: manywheel"), args
    assert "--output-dir" in manywheel("build", "--help").stdout
