"""Native builds for real: every host CPython, repaired, tested, nothing written to the source."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from manywheel.planning.interpreters import discover
from tests.elf import auditwheel_show
from tests.integration.containers import tree_digest
from tests.projects import make_c_project, make_no_libc_project
from tests.running import manywheel
from tests.venvs import fresh_venv

pytestmark = pytest.mark.integration

HOST_PYTHONS = {
    f"cp3{i.identifier.version[1]}": i.path
    for i in discover()
    if i.identifier.version >= (3, 8)
    and not i.identifier.free_threaded
    and not i.identifier.is_pypy
}


def check_in_fresh_venv(python: str, wheel: Path, code: str, where: Path) -> None:
    venv = where / f"venv-{wheel.name[:20]}"
    fresh_venv(python, venv)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", str(wheel)],
        check=True,
    )
    subprocess.run([str(venv / "bin" / "python"), "-c", code], check=True, cwd=where)


def assert_fails_saying(project: Path, out: Path, expected: str) -> None:
    """A cp312 build of ``project`` fails (exit 1), and its summary says ``expected``."""
    proc = manywheel("build", str(project), "-o", str(out), "--only", "cp312-manylinux_x86_64")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    said = " ".join(proc.stdout.split())  # the console folds long lines
    assert expected in said, said


def test_every_host_cpython_builds_repairs_and_tests(tmp_path: Path) -> None:
    assert {"cp38", "cp39", "cp310", "cp311", "cp312", "cp313"} <= set(HOST_PYTHONS)
    project = make_c_project(
        tmp_path,
        manywheel_config="""
        test-command = "python -c 'import demo, sys; assert demo.answer() == 42; print(sys.version)'"
    """,
    )
    before = tree_digest(project)
    out = tmp_path / "wheelhouse"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    report = tmp_path / "report.json"
    proc = manywheel(
        "build", str(project), "-o", str(out), "--report", str(report), TMPDIR=str(scratch)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = {next(iter(parse_wheel_filename(w.name)[3])).interpreter: w for w in out.glob("*.whl")}
    assert set(wheels) == set(HOST_PYTHONS)
    for tag, wheel in wheels.items():
        platforms = {t.platform for t in parse_wheel_filename(wheel.name)[3]}
        assert all(p.startswith("manylinux") and p.endswith("_x86_64") for p in platforms)
        assert "is consistent with the following platform tag" in auditwheel_show(wheel)
        check_in_fresh_venv(
            HOST_PYTHONS[tag], wheel, "import demo; assert demo.answer() == 42", tmp_path
        )
    jobs = json.loads(report.read_text())["jobs"]
    assert all(job["status"] == "success" and job["tested"] for job in jobs)
    assert tree_digest(project) == before
    assert list(scratch.iterdir()) == []
    assert [p.name for p in out.iterdir() if not p.name.endswith(".whl")] == []


def test_sdist_input_and_frontends(tmp_path: Path) -> None:
    project = make_c_project(tmp_path)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--sdist",
            "--outdir",
            str(tmp_path / "dist"),
            str(project),
        ],
        check=True,
        capture_output=True,
    )
    sdist = next((tmp_path / "dist").glob("*.tar.gz"))
    for frontend in ("pip", "build", "build[uv]"):
        out = tmp_path / f"out-{frontend}"
        proc = manywheel(
            "build",
            str(sdist),
            "-o",
            str(out),
            "--only",
            "cp312-manylinux_x86_64",
            "--no-cache",
            MANYWHEEL_BUILD_FRONTEND=frontend,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        (wheel,) = out.glob("*.whl")
        with zipfile.ZipFile(wheel) as zf:
            assert any(n.startswith("demo.cpython-312") for n in zf.namelist())


@pytest.mark.parametrize("frontend", ["pip", "uv"])
def test_frontend_arguments_build_with_what_before_build_installed(
    tmp_path: Path, frontend: str
) -> None:
    """cibuildwheel's ``pip; args: --no-build-isolation``: the build runs in the job's build
    venv, where before-build installed what setup.py imports; isolated, it cannot."""
    marker = "import pathlib, sysconfig; pathlib.Path(sysconfig.get_path('purelib'), 'mw_marker.py').write_text('')"
    project = make_c_project(
        tmp_path,
        manywheel_config=f"""
        build-frontend = "{frontend}; args: --no-build-isolation"
        before-build = "python -m pip install setuptools && python -c \\"{marker}\\""
        test-command = "python -c 'import demo; assert demo.answer() == 42'"
    """,
    )
    (project / "setup.py").write_text(
        "import mw_marker  # only before-build's environment has it\n"
        "from setuptools import setup\n\nsetup()\n"
    )
    only = ("--only", "cp312-manylinux_x86_64", "--no-cache")
    proc = manywheel("build", str(project), "-o", str(tmp_path / "out"), *only)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = (tmp_path / "out").glob("*.whl")
    assert wheel.name.startswith("demo-0.1.0-cp312-cp312-manylinux")
    isolated = manywheel(
        "build",
        str(project),
        "-o",
        str(tmp_path / "isolated"),
        *only,
        MANYWHEEL_BUILD_FRONTEND=frontend,
    )
    assert isolated.returncode == 1
    assert "No module named 'mw_marker'" in isolated.stdout, isolated.stdout


def test_hooks_placeholders_and_test_sources(tmp_path: Path) -> None:
    project = make_c_project(
        tmp_path,
        manywheel_config="""
        before-all = "touch {project}/before-all-ran"
        before-build = "test -f {project}/before-all-ran && test $CIBUILDWHEEL = 1 && echo built > {project}/marker"
        test-sources = ["checks"]
        test-requires = ["six"]
        test-environment = { DEMO_EXPECT = "42" }
        test-command = "python checks/check.py {project}"
    """,
    )
    (project / "checks").mkdir()
    (project / "checks" / "check.py").write_text(
        "import os, sys, demo, six\n"
        "assert demo.answer() == int(os.environ['DEMO_EXPECT'])\n"
        "assert os.path.isfile(os.path.join(sys.argv[1], 'marker'))\n"
        "assert os.environ['CIBUILDWHEEL_BUILD_IDENTIFIER'] == 'cp311-manylinux_x86_64'\n"
        "assert not os.getcwd().startswith(sys.argv[1])  # tests run outside the source\n"
    )
    before = tree_digest(project)
    proc = manywheel(
        "build", str(project), "-o", str(tmp_path / "out"), "--only", "cp311-manylinux_x86_64"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert tree_digest(project) == before


def test_installs_run_in_the_project_and_before_test_first(tmp_path: Path) -> None:
    """As in cibuildwheel: relative paths in test-requires and in the user's PIP_CONSTRAINT are
    the project's (its installs run in the project copy), before-test runs before the wheel
    and test-requires are installed, and a before-test that runs pip finds it in the test venv
    (which uv makes without pip)."""
    project = make_c_project(
        tmp_path,
        manywheel_config="""
        build-frontend = "build"
        environment = { PIP_CONSTRAINT = "requirements/constraints.txt" }
        test-requires = ["-r requirements/test.txt"]
        before-test = "python -I -c 'import importlib.util as u; assert u.find_spec(\\"six\\") is None and u.find_spec(\\"demo\\") is None' && python -m pip --version && touch {project}/before-test-ran"
        test-command = "python -c 'import demo, six, sys, os; assert os.path.isfile(sys.argv[1])' {project}/before-test-ran"
    """,
    )
    (project / "requirements").mkdir()
    (project / "requirements" / "test.txt").write_text("six\n")
    (project / "requirements" / "constraints.txt").write_text("setuptools>=40\n")
    before = tree_digest(project)
    proc = manywheel(
        "build", str(project), "-o", str(tmp_path / "out"), "--only", "cp312-manylinux_x86_64"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(tested," in proc.stderr
    assert tree_digest(project) == before


def test_the_user_s_pip_constraint_constrains_a_uv_build(tmp_path: Path) -> None:
    """PIP_CONSTRAINT in the environment option pins the build requirements with the default
    (uv) frontend too, as pip's isolated builds (cibuildwheel's default frontend) obey it: the
    wheel is made by the setuptools it names."""
    project = make_c_project(
        tmp_path, manywheel_config='environment = { PIP_CONSTRAINT = "constraints.txt" }\n'
    )
    (project / "constraints.txt").write_text("setuptools==75.8.0\n")
    out = tmp_path / "out"
    proc = manywheel("build", str(project), "-o", str(out), "--only", "cp312-manylinux_x86_64")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        text = zf.read("demo-0.1.0.dist-info/WHEEL").decode()
    assert "Generator: setuptools (75.8.0)" in text, text


def test_a_before_build_that_runs_pip_finds_it_in_the_build_venv(tmp_path: Path) -> None:
    """cibuildwheel's 'before-build = "pip install cython"', with the default (uv) frontend:
    the build venv uv makes has pip in it then, and what pip installs goes there."""
    project = make_c_project(
        tmp_path,
        manywheel_config="""
        before-build = "python -m pip install --quiet six && python -c 'import six'"
    """,
    )
    proc = manywheel(
        "build", str(project), "-o", str(tmp_path / "out"), "--only", "cp312-manylinux_x86_64"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_test_groups_are_installed_for_the_tests(tmp_path: Path) -> None:
    """test-groups names the project's dependency groups (PEP 735): their requirements, and
    those of the groups they include, are in the test venv."""
    project = make_c_project(
        tmp_path,
        manywheel_config="""
        test-groups = ["test"]
        test-command = "python -c 'import demo, six'"
    """,
    )
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + '\n[dependency-groups]\ntest = [{ include-group = "compat" }]\ncompat = ["six"]\n'
    )
    proc = manywheel(
        "build", str(project), "-o", str(tmp_path / "out"), "--only", "cp312-manylinux_x86_64"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(tested," in proc.stderr


def test_a_test_script_that_wants_pip_is_told_why_it_has_none(tmp_path: Path) -> None:
    """A test command that runs pip through a script (not seen in the command): the venv uv
    made has no pip, and the failure says so and what to do."""
    project = make_c_project(tmp_path, manywheel_config='test-command = "sh {project}/checks.sh"\n')
    (project / "checks.sh").write_text("python -m pip --version\n")
    assert_fails_saying(
        project,
        tmp_path / "out",
        "failed in step test: test failed: the command exited with status 1. The venv it ran "
        "in has no pip: uv makes venvs without it, and manywheel adds pip only when the command "
        "itself runs it. Run pip in the command (python -m pip ...), or install with 'uv pip "
        "install'",
    )


def test_environment_values_that_run_a_command_run_in_the_project(tmp_path: Path) -> None:
    """As cibuildwheel's: $(...) and backticks in environment and test-environment run in a
    shell where the build runs, in the project copy, with the variables before them; one that
    cannot run fails the job saying which."""
    project = make_c_project(
        tmp_path,
        manywheel_config="""
        environment = { TOOLS = "$(pwd)/tools", STAMP = "`echo x`-$TOOLS" }
        before-build = 'test "$TOOLS" = "$(pwd)/tools" && test "$STAMP" = "x-$(pwd)/tools"'
        test-environment = { WHERE = "$(pwd)" }
        test-command = "python -c 'import os, sys; assert os.environ[\\"WHERE\\"] == sys.argv[1]' {project}"
    """,
    )
    out = tmp_path / "out"
    proc = manywheel("build", str(project), "-o", str(out), "--only", "cp312-manylinux_x86_64")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(tested," in proc.stderr
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"`echo x`-$TOOLS"', '"$(exit 3"'))
    assert_fails_saying(
        project,
        out,
        "failed in step environment: STAMP='$(exit 3' (environment or test-environment) could "
        "not be evaluated: the shell exited with status 2",
    )


def test_real_sdists_markupsafe_and_msgpack(sdists: Path, tmp_path: Path) -> None:
    checks = {
        "markupsafe": "python -c \"import markupsafe; from markupsafe import _speedups; assert markupsafe.escape('<') == '&lt;'\"",
        "msgpack": "python -c \"import msgpack; from msgpack import _cmsgpack; assert msgpack.unpackb(msgpack.packb([1, 'a'])) == [1, 'a']\"",
    }
    for name, command in checks.items():
        sdist = next(sdists.glob(f"{name}-*.tar.gz"))
        out = tmp_path / name
        proc = manywheel("build", str(sdist), "-o", str(out), MANYWHEEL_TEST_COMMAND=command)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        wheels = sorted(out.glob("*.whl"))
        # requires-python: markupsafe 3.0.3 >=3.9 (3.9-3.13 here), msgpack 1.1.1 >=3.8
        expected = 5 if name == "markupsafe" else 6
        assert len(wheels) == expected, [w.name for w in wheels]
        for wheel in wheels:
            assert "manylinux" in wheel.name
        assert proc.stderr.count("(tested,") == expected


def test_cibuildwheel_settings_are_said_to_be_unread(tmp_path: Path) -> None:
    """A project set up for cibuildwheel only ([tool.cibuildwheel], no [tool.manywheel]) and
    CIBW_* variables: the build says on its output that it reads neither, and how to translate
    them; their test command does not run."""
    project = make_c_project(tmp_path)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text().replace("\n[tool.manywheel]\n", "\n")
    pyproject.write_text(text + '\n[tool.cibuildwheel]\ntest-command = "python -c 1"\n')
    proc = manywheel(
        "build",
        str(project),
        "-o",
        str(tmp_path / "out"),
        MANYWHEEL_BUILD="cp312-*",
        CIBW_BUILD="cp312-*",
        CIBW_TEST_REQUIRES="pytest",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    said = [ln for ln in proc.stderr.splitlines() if "not read (cibuildwheel's settings)" in ln]
    assert [ln.split("] ", 1)[1] for ln in said] == [
        "not read (cibuildwheel's settings): [tool.cibuildwheel] test-command; CIBW_BUILD; "
        "CIBW_TEST_REQUIRES. manywheel reads [tool.manywheel] and MANYWHEEL_* variables; "
        "'manywheel migrate PROJECT_DIR' prints their equivalent"
    ]
    assert "not tested" in proc.stderr


def test_an_extension_that_links_no_c_library_is_repaired_for_the_oldest_policy(
    tmp_path: Path,
) -> None:
    """tornado's speedups.abi3.so calls the Python API only: it needs no library, and auditwheel
    alone cannot tell glibc from musl ("couldn't detect libc for python extension"). The repair
    is run again for the oldest policy of the job's libc and arch, as 'auto' would give, and
    the run says so."""
    project = make_no_libc_project(
        tmp_path,
        manywheel_config='test-command = "python -c \\"import pure; assert pure.seven() == 7\\""\n',
    )
    out = tmp_path / "out"
    proc = manywheel("build", str(project), "-o", str(out), "--only", "cp312-manylinux_x86_64")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("*.whl")
    assert wheel.name == "pure-0.1.0-cp38-abi3-manylinux1_x86_64.manylinux_2_5_x86_64.whl"
    assert (
        "cp312-manylinux_x86_64: auditwheel could not tell the wheel's C library (its extensions "
        "link none): repairing for manylinux_2_5_x86_64, the oldest policy of the job's libc and "
        "arch, which is what 'auto' gives such a wheel"
    ) in " ".join(proc.stderr.split())


def _project_with_fast_c(project: Path, setup_py: str, header: str) -> Path:
    """A setuptools project named as its directory: ``slow.py``, and the extension ``fast``,
    whose ``fast.c`` includes ``header`` (none on this host), built by ``setup_py``."""
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        f'\n[project]\nname = "{project.name}"\nversion = "0.1.0"\n'
    )
    (project / "setup.py").write_text(setup_py)
    (project / "fast.c").write_text(f"#include <{header}>\n")
    (project / "slow.py").write_text("ANSWER = 42\n")
    return project


def test_a_wheel_whose_extension_did_not_compile_is_explained(tmp_path: Path) -> None:
    """A project that builds its wheel without its extension when the extension does not
    compile (as PyYAML without libyaml does): the build exits 0, auditwheel finds nothing to
    repair, and the failure says why, with the compiler's own error from the build's log."""
    setup_py = (
        "from setuptools import Extension, setup\n"
        "from setuptools.command.build_ext import build_ext\n\n"
        "class Optional(build_ext):\n"
        "    def run(self):\n"
        "        try:\n"
        "            super().run()\n"
        "        except Exception:\n"
        "            print('Error compiling module, falling back to pure Python')\n\n"
        "setup(cmdclass={'build_ext': Optional}, py_modules=['slow'],\n"
        "      ext_modules=[Extension('fast', ['fast.c'])])\n"
    )
    project = _project_with_fast_c(tmp_path / "optional", setup_py, "nowhere.h")
    assert_fails_saying(
        project,
        tmp_path / "out",
        "optional-0.1.0-cp312-cp312-linux_x86_64.whl holds no compiled code (no extension "
        "module, no shared library), though the build tagged it cp312-cp312-linux_x86_64: the "
        "build left the project's extension out. Some projects build a wheel without their "
        "extension when it does not compile. The build's log has this compile error: "
        "'fast.c:1:10: fatal error: nowhere.h: No such file or directory'. The build did not "
        "find nowhere.h: install the package that has it on this host.",
    )


def test_a_pure_wheel_left_by_a_failed_compile_is_explained(tmp_path: Path) -> None:
    """A setup.py that builds again without its extension when the extension does not compile
    (as google-crc32c without libcrc32c does): the build exits 0 with a pure wheel, and the
    failure says that the extension was left out, with the compiler's own error, instead of
    telling the user to build a pure project with 'python -m build'."""
    setup_py = (
        "from setuptools import Extension, setup\n\n"
        "try:\n"
        "    setup(py_modules=['slow'], ext_modules=[Extension('fast', ['fast.c'])])\n"
        "except SystemExit:\n"
        "    print('Compiling the C extension failed. Falling back to pure Python build.')\n"
        "    setup(py_modules=['slow'])\n"
    )
    project = _project_with_fast_c(tmp_path / "fallback", setup_py, "crc32c/crc32c.h")
    assert_fails_saying(
        project,
        tmp_path / "out",
        "build produced a pure-Python wheel (fallback-0.1.0-py3-none-any.whl): the build left "
        "the project's extension out. Some projects build a wheel without their extension when "
        "it does not compile. The build's log has this compile error: 'fast.c:1:10: fatal "
        "error: crc32c/crc32c.h: No such file or directory'. The build did not find "
        "crc32c/crc32c.h: install the package that has it on this host.",
    )
