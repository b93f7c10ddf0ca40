"""What users see when things go wrong: exact error lines, exit codes, kept wheels."""

from __future__ import annotations

from pathlib import Path

import pytest

from manywheel.cli import main
from tests.projects import make_c_project

pytestmark = pytest.mark.integration

BROKEN_ON_310 = "#if PY_MINOR_VERSION == 10\n#error this project does not build on 3.10\n#endif\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("manywheel: error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_build_failing_for_one_python_keeps_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_c_project(tmp_path, extra_c=BROKEN_ON_310)
    out = tmp_path / "out"
    code, stdout, _ = run(capsys, "build", str(project), "-o", str(out), "--archs", "auto")
    assert code == 1
    wheels = sorted(p.name for p in out.glob("*.whl"))
    assert len(wheels) == 5
    assert not any("cp310" in w for w in wheels)
    assert "cp310-manylinux_x86_64 failed in step build" in stdout
    assert "this project does not build on 3.10" in stdout  # the log tail
    assert "command: " in stdout
    assert "full log: " in stdout
    assert "1 of 6 job(s) did not succeed" in stdout


def test_fail_fast_cancels_the_rest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_c_project(tmp_path, extra_c="#error never builds\n")
    code, stdout, _ = run(
        capsys, "build", str(project), "-o", str(tmp_path / "out"), "--fail-fast", "--jobs", "1"
    )
    assert code == 1
    assert "cancelled" in stdout
    assert stdout.count("failed in step build") == 1


def test_failing_test_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_c_project(
        tmp_path,
        manywheel_config="""
        test-command = "python -c 'import demo; assert demo.answer() == 41, \\"wrong answer\\"'"
    """,
    )
    out = tmp_path / "out"
    code, stdout, _ = run(
        capsys, "build", str(project), "-o", str(out), "--only", "cp312-manylinux_x86_64"
    )
    assert code == 1
    assert "cp312-manylinux_x86_64 failed in step test" in stdout
    assert "wrong answer" in stdout
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
def test_bad_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pyproject: str, expected: str
) -> None:
    project = make_c_project(tmp_path)
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text().split("[tool.manywheel]")[0] + pyproject
    )
    code, _, err = run(capsys, "build", str(project), "-o", str(tmp_path / "out"))
    assert code == (3 if "nothing to build" in expected else 2)
    assert expected in error_line(err)


def test_missing_path_and_bad_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "build", str(tmp_path / "nope"))
    assert code == 2
    assert error_line(err) == (
        f"manywheel: error: '{tmp_path / 'nope'}' does not exist. Give a project directory "
        "(with pyproject.toml or setup.py) or an sdist (.tar.gz/.zip)."
    )
    project = make_c_project(tmp_path)
    code, _, err = run(capsys, "build", str(project), "--jobs", "lots")
    assert code == 2
    assert (
        error_line(err)
        == "manywheel: error: --jobs: 'lots' is not valid; expected a whole number from 0 to 256."
    )
    code, _, err = run(capsys, "plan", str(project), "--only", "cp312-manylinux_sparc")
    assert code == 2
    assert "'cp312-manylinux_sparc' is not a build identifier" in error_line(err)


def test_plan_prints_identifiers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_c_project(tmp_path, requires_python=">=3.11")
    code, out, _ = run(capsys, "plan", str(project))
    assert code == 0
    assert out.split() == [
        "cp311-manylinux_x86_64",
        "cp312-manylinux_x86_64",
        "cp313-manylinux_x86_64",
    ]


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    commands = ["build", "plan", "sdist", "publish", "explain", "doctor", "ci", "migrate", "cache"]
    for args in (["--version"], ["--help"], *([name, "--help"] for name in commands)):
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        assert exit_info.value.code == 0
    out, _ = capsys.readouterr()
    assert "manywheel 0." in out
    assert "--output-dir" in out
