"""The build cache checks what a native build used, for real: a compiler on PATH changed in
place, a host library auditwheel grafted rebuilt at the same path, a new tag in a git worktree
(setuptools-scm's version) each make the next build a miss, said on the run's output, and the
new wheel carries the change; an unchanged rebuild is still a hit. In podman, the image ID
stands for the image's files: a compiler changed in the image under the same name is a miss."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
import zipfile
from pathlib import Path

import pytest

from tests.integration.containers import IMAGES, image_env, manywheel_containers
from tests.projects import write_setuptools_pyproject
from tests.running import manywheel

pytestmark = pytest.mark.integration

JOB = "cp311-manylinux_x86_64"

_MODULE = """\
#define PY_SSIZE_T_CLEAN
#include <Python.h>
{declare}
static PyObject *value(PyObject *self, PyObject *args) {{ return PyLong_FromLong({value}); }}
static PyMethodDef methods[] = {{
    {{"value", value, METH_NOARGS, NULL}},
    {{NULL, NULL, 0, NULL}},
}};
static struct PyModuleDef module = {{PyModuleDef_HEAD_INIT, "{name}", NULL, -1, methods}};
PyMODINIT_FUNC PyInit_{name}(void) {{ return PyModule_Create(&module); }}
"""


def c_project(
    root: Path, name: str, value: str, *, declare: str = "", libraries: tuple[str, ...] = ()
) -> Path:
    """A setuptools project whose extension ``name`` has ``value()`` return the C ``value``."""
    project = root / name
    project.mkdir(parents=True)
    libs = f", libraries = {list(libraries)!r}" if libraries else ""
    write_setuptools_pyproject(
        project, name, f'{{ name = "{name}", sources = ["{name}.c"]{libs} }}'
    )
    (project / f"{name}.c").write_text(_MODULE.format(name=name, value=value, declare=declare))
    return project


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANYWHEEL_")}
    env.update(
        {
            "MANYWHEEL_PLATFORM": "native",
            "MANYWHEEL_BUILD": JOB,
            "MANYWHEEL_CACHE_DIR": str(tmp_path / "cache" / "wheels"),
            "MANYWHEEL_LOG_DIR": str(tmp_path / "logs"),
            **extra,
        }
    )
    return env


def build(project: Path, env: dict[str, str], expect: int) -> tuple[dict[str, object], str]:
    """Build and test (``value()`` must be ``expect``); the job's report and the run's output."""
    name = project.name
    report = project.parent / "report.json"
    test = f'python -c "import {name}; assert {name}.value() == {expect}, {name}.value()"'
    proc = manywheel(
        "build",
        str(project),
        "-o",
        str(project.parent / "wheelhouse"),
        "--report",
        str(report),
        env={**env, "MANYWHEEL_TEST_COMMAND": test},
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    [job] = json.loads(report.read_text())["jobs"]
    return job, output


def write_script(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_a_compiler_wrapper_changed_in_place_rebuilds(tmp_path: Path) -> None:
    project = c_project(tmp_path, "flagged", "FLAG", declare="#ifndef FLAG\n#define FLAG 0\n#endif")
    tools = tmp_path / "bin"
    tools.mkdir()
    gcc = tools / "gcc"  # what setuptools calls (the interpreter's CC and LDSHARED)
    write_script(gcc, 'exec /usr/bin/gcc "$@"')
    env = env_for(tmp_path, PATH=f"{tools}:{os.environ['PATH']}")

    first, _ = build(project, env, expect=0)
    assert first["cached"] is False
    again, output = build(project, env, expect=0)
    assert again["cached"] is True, output

    write_script(gcc, 'exec /usr/bin/gcc -DFLAG=7 "$@"')  # same path, same PATH, same key
    after, output = build(project, env, expect=7)
    assert after["cached"] is False
    assert f"cache: entry for {JOB} refused: compiler {gcc} changed" in output


def _libfoo(lib_dir: Path, value: int) -> Path:
    """libfoo.so.1 (a host library no package manager knows), returning ``value`` from foo()."""
    source = lib_dir / "foo.c"
    source.write_text(f"int foo(void) {{ return {value}; }}\n")
    lib = lib_dir / "libfoo.so.1"
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", "-o", str(lib), str(source)],
        check=True,
    )
    if not (lib_dir / "libfoo.so").exists():
        (lib_dir / "libfoo.so").symlink_to("libfoo.so.1")
    return lib


def _grafted(wheel: str) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return [n for n in zf.namelist() if ".libs/" in n and not n.endswith("/")]


def test_a_grafted_host_library_rebuilt_in_place_rebuilds(tmp_path: Path) -> None:
    lib_dir = tmp_path / "lib"
    lib_dir.mkdir()
    lib = _libfoo(lib_dir, 1)
    project = c_project(tmp_path, "usesfoo", "foo()", declare="int foo(void);", libraries=("foo",))
    # the compiler links against it; auditwheel finds it (and grafts it) through LD_LIBRARY_PATH
    env = env_for(tmp_path, LIBRARY_PATH=str(lib_dir), LD_LIBRARY_PATH=str(lib_dir))

    first, _ = build(project, env, expect=1)
    assert first["cached"] is False
    [old] = _grafted(str(first["wheel"]))
    again, output = build(project, env, expect=1)
    assert again["cached"] is True, output

    _libfoo(lib_dir, 2)  # the project is unchanged: only what auditwheel grafts differs
    after, output = build(project, env, expect=2)
    assert after["cached"] is False
    assert f"cache: entry for {JOB} refused: grafted library {lib} changed" in output
    [new] = _grafted(str(after["wheel"]))
    assert new != old  # the wheel carries the new libfoo (its hash is in the name)


def _git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def test_a_new_tag_in_a_git_worktree_rebuilds_with_its_version(tmp_path: Path) -> None:
    main = c_project(tmp_path, "scmdemo", "1")
    pyproject = main / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        .replace(
            'requires = ["setuptools>=61"]', 'requires = ["setuptools>=64", "setuptools-scm>=8"]'
        )
        .replace('version = "0.1.0"', 'dynamic = ["version"]')
        + "\n[tool.setuptools_scm]\n"
    )
    _git(main, "init", "-q", "-b", "main")
    _git(main, "add", ".")
    _git(main, "commit", "-q", "-m", "first")
    _git(main, "tag", "v1.0")
    _git(main, "commit", "-q", "--allow-empty", "-m", "next")
    worktree = tmp_path / "wt" / "scmdemo"
    _git(main, "worktree", "add", "-q", "--detach", str(worktree))
    assert (worktree / ".git").is_file()
    env = env_for(tmp_path)

    first, _ = build(worktree, env, expect=1)
    assert Path(str(first["wheel"])).name.startswith("scmdemo-1.1.dev1+g")
    again, _ = build(worktree, env, expect=1)
    assert again["cached"] is True

    # the same commit (and so the same SOURCE_DATE_EPOCH), now tagged: a new version
    _git(worktree, "tag", "v2.0")
    after, _ = build(worktree, env, expect=1)
    assert after["cached"] is False
    assert Path(str(after["wheel"])).name.startswith("scmdemo-2.0-")


def test_no_cache_says_so(tmp_path: Path) -> None:
    project = c_project(tmp_path, "plain", "3")
    proc = manywheel(
        "build", str(project), "-o", str(tmp_path / "out"), "--no-cache", env=env_for(tmp_path)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "cache: off (--no-cache, or cache = false)" in proc.stdout + proc.stderr


_WRAP_GCC = """\
FROM {base}
RUN mv /usr/bin/gcc /usr/bin/gcc.real \\
 && printf '#!/bin/sh\\nexec /usr/bin/gcc.real -DFLAG=7 "$@"\\n' > /usr/bin/gcc \\
 && chmod 755 /usr/bin/gcc
"""


@pytest.mark.container
def test_podman_a_compiler_changed_in_the_image_rebuilds(tmp_path: Path) -> None:
    """The same image name, a new image ID (a gcc wrapper adding -DFLAG=7 built into it)."""
    image = f"localhost/manywheel-test-cache-{uuid.uuid4().hex[:8]}:latest"
    subprocess.run(["podman", "tag", IMAGES["x86_64"], image], check=True)
    try:
        project = c_project(
            tmp_path, "flagged", "FLAG", declare="#ifndef FLAG\n#define FLAG 0\n#endif"
        )
        env = image_env(
            "podman",
            tmp_path,
            MANYWHEEL_BUILD="cp312-manylinux_x86_64",
            MANYWHEEL_MANYLINUX_X86_64_IMAGE=image,
        )
        first, _ = build(project, env, expect=0)
        assert first["cached"] is False
        again, _ = build(project, env, expect=0)
        assert again["cached"] is True

        (tmp_path / "Containerfile").write_text(_WRAP_GCC.format(base=IMAGES["x86_64"]))
        subprocess.run(
            ["podman", "build", "-q", "-t", image, "-f", str(tmp_path / "Containerfile")],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )
        after, _ = build(project, env, expect=7)
        assert after["cached"] is False
        assert manywheel_containers("podman") == []
    finally:
        subprocess.run(["podman", "rmi", "-f", image], check=False, capture_output=True)
