"""The hook's record (steps/hook_inputs.py) against real setuptools: the hook runs under the
recording script in a Python of its own, as in a build, and the record is then checked
against copies of the project as the next build would find it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyproject_hooks
import pytest

from manywheel.steps import hook_inputs

pytestmark = pytest.mark.integration

IN_PROCESS = Path(pyproject_hooks.__file__).parent / "_in_process" / "_in_process.py"
KEY = {"backend": "setuptools.build_meta", "frozen": "setuptools==x"}

SETUP_PY = """\
import os
from setuptools import Extension, setup

wanted = ["wheel"] if os.path.exists("conf/wants-wheel") else []
setup(
    name="demo",
    version="1.0",
    ext_modules=[Extension("demo._speed", ["src/speed.c"])],
    setup_requires=wanted,
)
"""


def project(root: Path, setup_py: str = SETUP_PY) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "conf").mkdir()  # nothing lists it: only conf/wants-wheel is looked for
    (root / "conf" / "README").write_text("what setup.py looks for\n")
    (root / "src" / "speed.c").write_text("int speed(void) { return 1; }\n")
    (root / "setup.py").write_text(setup_py)
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    return root


def settings(tmp: Path, root: Path, **more: object) -> Path:
    path = tmp / f"settings-{len(list(tmp.glob('settings-*')))}.json"
    data = {"root": str(root), "work": [str(tmp)], "key": KEY, "store": str(tmp / "record.json")}
    path.write_text(json.dumps({**data, **more}))
    return path


def env(**more: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"), **more}


def ask(
    tmp: Path,
    root: Path,
    python: str = sys.executable,
    backend: str = "",
    setuptools_backend: str = "setuptools.build_meta",
) -> list[str]:
    """The hook's answer, asked under the recording script (which keeps the record), by
    ``python``; ``backend``: a backend's module in ``tmp/backends``, outside the project;
    else ``setuptools_backend``."""
    control = tmp / "control"
    control.mkdir(exist_ok=True)
    shutil.copy(IN_PROCESS, control / "_in_process.py")
    (control / "input.json").write_text(json.dumps({"kwargs": {"config_settings": None}}))
    script = Path(hook_inputs.__file__)
    argv = [python, str(script), "record", str(settings(tmp, root, skip=[str(control)]))]
    argv += [str(control / "_in_process.py"), "get_requires_for_build_wheel", str(control)]
    hook_env = env(_PYPROJECT_HOOKS_BUILD_BACKEND=backend or setuptools_backend)
    if backend:
        hook_env["_PYPROJECT_HOOKS_BACKEND_PATH_JSON"] = json.dumps([str(tmp / "backends")])
    subprocess.run(argv, cwd=root, env=hook_env, check=True, capture_output=True)
    answer = json.loads((control / "output.json").read_text())["return_val"]
    assert isinstance(answer, list)
    return answer


def check(tmp: Path, root: Path, key: dict[str, str] = KEY, **more: str) -> dict[str, object]:
    """What the check says of the record for ``root`` and ``key`` (in the environment
    ``more`` adds to)."""
    result = tmp / "result.json"
    argv = [sys.executable, str(Path(hook_inputs.__file__)), "verify"]
    argv.append(str(settings(tmp, root, result=str(result), key=key)))
    subprocess.run(argv, cwd=root, env=env(**more), check=True)
    said = json.loads(result.read_text())
    assert isinstance(said, dict)
    return said


def fresh(tmp: Path, name: str, setup_py: str = SETUP_PY) -> Path:
    return project(tmp / name, setup_py)


def test_an_unchanged_project_holds_and_an_edited_source_does_not_matter(tmp_path: Path) -> None:
    asked = fresh(tmp_path, "asked")
    assert ask(tmp_path, asked) == []
    record = json.loads((tmp_path / "record.json").read_text())
    assert record["key"] == KEY
    assert record["answer"] == []
    recorded = {where for _, where, _ in record["manifest"]["inputs"]}
    assert {"setup.py", "setup.cfg", "pyproject.toml", "conf/wants-wheel"} <= recorded
    inputs = len(record["manifest"]["inputs"])
    # the hook stopped where setup() had its setup_requires: no egg_info ran
    assert not (asked / "demo.egg-info").exists()

    again = fresh(tmp_path, "again")
    assert check(tmp_path, again) == {
        "holds": True,
        "why": f"{inputs} inputs",
        "answer": [],
        "refused": None,
    }
    (again / "src" / "speed.c").write_text("int speed(void) { return 2; }\n")  # not read
    assert check(tmp_path, again)["holds"] is True


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda root: (root / "setup.py").write_text(SETUP_PY + "# edited\n"), "setup.py changed"),
        (
            lambda root: (root / "conf" / "wants-wheel").touch(),
            "conf/wants-wheel is of another kind",
        ),
        (lambda root: (root / "MANIFEST.in").touch(), ". lists other names"),
    ],
)
def test_a_change_to_what_the_hook_read_is_a_miss(tmp_path: Path, change: object, why: str) -> None:
    ask(tmp_path, fresh(tmp_path, "asked"))
    again = fresh(tmp_path, "again")
    assert callable(change)
    change(again)
    assert check(tmp_path, again) == {"holds": False, "why": why, "answer": None, "refused": None}


def test_the_answer_follows_what_the_hook_looked_for(tmp_path: Path) -> None:
    asked = fresh(tmp_path, "asked")
    (asked / "conf" / "wants-wheel").touch()
    assert ask(tmp_path, asked) == ["wheel"]
    again = fresh(tmp_path, "again")
    (again / "conf" / "wants-wheel").touch()
    assert check(tmp_path, again)["answer"] == ["wheel"]


SETUP_CFG_REQUIRES = "[options]\nsetup_requires =\n    wheel\n"


@pytest.mark.parametrize("backend", ["setuptools.build_meta", "setuptools.build_meta:__legacy__"])
def test_setup_requires_of_setup_cfg_are_the_answer_before_egg_info(
    tmp_path: Path, backend: str
) -> None:
    asked = fresh(tmp_path, "asked", SETUP_PY.replace("setup_requires=wanted,", ""))
    (asked / "setup.cfg").write_text(SETUP_CFG_REQUIRES)
    assert ask(tmp_path, asked, setuptools_backend=backend) == ["wheel"]
    assert not (asked / "demo.egg-info").exists()


def test_a_project_without_setup_py_is_recorded_by_its_pyproject_toml(tmp_path: Path) -> None:
    asked = tmp_path / "asked"
    asked.mkdir()
    pyproject = (
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "demo"\nversion = "1.0"\n'
    )
    (asked / "pyproject.toml").write_text(pyproject)
    assert ask(tmp_path, asked) == []
    record = json.loads((tmp_path / "record.json").read_text())
    recorded = {where: value for _, where, value in record["manifest"]["inputs"]}
    assert recorded["setup.py"] == "missing"
    assert "pyproject.toml" in recorded
    again = tmp_path / "again"
    again.mkdir()
    (again / "pyproject.toml").write_text(pyproject)
    assert check(tmp_path, again)["holds"] is True
    (again / "setup.cfg").write_text(SETUP_CFG_REQUIRES)  # setup_requires now
    assert check(tmp_path, again)["holds"] is False


def test_a_backend_of_the_project_runs_its_hook_whole(tmp_path: Path) -> None:
    """A backend-path backend that hands the hook to setuptools': egg_info runs, as the
    backend may rely on what it writes."""
    asked = fresh(tmp_path, "asked")
    (tmp_path / "backends").mkdir()
    (tmp_path / "backends" / "wrapped.py").write_text("from setuptools.build_meta import *\n")
    assert ask(tmp_path, asked, backend="wrapped") == []
    assert (asked / "demo.egg-info" / "PKG-INFO").is_file()


def test_other_variables_or_another_key_are_a_miss(tmp_path: Path) -> None:
    ask(tmp_path, fresh(tmp_path, "asked"))
    again = fresh(tmp_path, "again")
    said = check(tmp_path, again, CFLAGS="-O3")
    assert said == {
        "holds": False,
        "why": "its environment variables changed",
        "answer": None,
        "refused": None,
    }
    said = check(tmp_path, again, {**KEY, "frozen": "setuptools==y"})
    why = "its record was made for other settings or requirements"
    assert said == {"holds": False, "why": why, "answer": None, "refused": None}
    assert check(tmp_path, again)["holds"] is True


def test_a_module_of_the_project_counts_by_its_source(tmp_path: Path) -> None:
    """setup.py imports the project's own module: its source is an input, also when the
    next run finds a .pyc beside it that Python takes for current (same size and mtime)."""
    setup_py = "import sys\nsys.path.insert(0, '')\nimport helper\n" + SETUP_PY.replace(
        "wanted = ", "wanted = ['wheel'] if helper.FLAG else "
    )
    asked = fresh(tmp_path, "asked", setup_py)
    (asked / "helper.py").write_text("FLAG = 0\n")
    subprocess.run([sys.executable, "-m", "py_compile", "helper.py"], cwd=asked, check=True)
    assert ask(tmp_path, asked) == []
    again = fresh(tmp_path, "again", setup_py)
    shutil.copytree(asked / "__pycache__", again / "__pycache__")
    (again / "helper.py").write_text("FLAG = 1\n")
    stat = (asked / "helper.py").stat()
    os.utime(again / "helper.py", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert check(tmp_path, again)["why"] == "helper.py changed"


def test_a_hook_that_runs_a_program_is_asked_every_time(tmp_path: Path) -> None:
    setup_py = "import subprocess\nsubprocess.run(['true'])\n" + SETUP_PY
    ask(tmp_path, fresh(tmp_path, "first"))  # an answer from before: replaced
    assert "answer" in json.loads((tmp_path / "record.json").read_text())
    ask(tmp_path, fresh(tmp_path, "asked", setup_py))
    record = json.loads((tmp_path / "record.json").read_text())
    why = "it ran subprocess.Popen: what it reads does not tell what it will answer"
    assert record == {"key": KEY, "refused": why}
    said = check(tmp_path, fresh(tmp_path, "again", setup_py))
    assert said == {"holds": False, "why": why, "answer": None, "refused": why}


def test_what_a_thread_of_the_hook_reads_counts(tmp_path: Path) -> None:
    """Reads from another thread are recorded too, and a listing asked for by bytes is kept
    by its names as text."""
    reader = (
        "import threading\n"
        "def read():\n"
        "    open('conf/README').read()\n"
        "    os.listdir(b'src')\n"
        "t = threading.Thread(target=read)\n"
        "t.start()\n"
        "t.join()\n"
    )
    setup_py = SETUP_PY.replace("wanted = ", reader + "wanted = ")
    assert ask(tmp_path, fresh(tmp_path, "asked", setup_py)) == []
    record = json.loads((tmp_path / "record.json").read_text())
    inputs = {(kind, where): value for kind, where, value in record["manifest"]["inputs"]}
    assert ("file", "conf/README") in inputs
    assert inputs[("dir", "src")] == ["speed.c"]
    again = fresh(tmp_path, "again", setup_py)
    (again / "conf" / "README").write_text("another\n")
    assert check(tmp_path, again)["why"] == "conf/README changed"


def _constant_backend(tmp: Path) -> None:
    """A backend whose hook reads nothing of the project: always []."""
    (tmp / "backends").mkdir()
    (tmp / "backends" / "constant.py").write_text(
        "def get_requires_for_build_wheel(config_settings=None):\n    return []\n"
    )


def test_a_hook_seen_reading_no_file_of_the_project_is_not_recorded(tmp_path: Path) -> None:
    """Audit events that did not come look like a hook that read nothing: no record."""
    asked = fresh(tmp_path, "asked")
    _constant_backend(tmp_path)
    assert ask(tmp_path, asked, backend="constant") == []
    record = json.loads((tmp_path / "record.json").read_text())
    assert record == {"key": KEY, "refused": "no file of the project was seen read"}


def test_under_pypy_nothing_is_recorded(tmp_path: Path) -> None:
    """PyPy 3.9 has audit hooks, but its events are not relied on: asked every time."""
    asked = fresh(tmp_path, "asked")
    _constant_backend(tmp_path)
    pypy = shutil.which("pypy3")
    assert pypy is not None, "scripts/setup-test-machine.sh installs pypy3"
    assert ask(tmp_path, asked, python=pypy, backend="constant") == []
    refused = json.loads((tmp_path / "record.json").read_text())["refused"]
    assert refused.startswith("pypy 3.")
    assert refused.endswith("has no audit hooks relied on to record what it reads")
