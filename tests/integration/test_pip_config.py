"""pip's configuration, read by the real pip and kept between runs: read back while nothing it
came from changed, asked again when a file, a file that was absent, or a PIP_* variable did;
the kept record holds no variable's value. pip's processes are counted (a spy around the real
Popen), to tell a kept answer from pip's."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from manywheel.backends import pip_config
from manywheel.backends.forwarding import forward_environment
from manywheel.backends.pip_config import read_pip_config

pytestmark = pytest.mark.integration


def _write(path: Path, text: str, age: float = 60.0) -> None:
    """A config file last changed `age` seconds ago (a file changed just now is not kept)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    then = time.time() - age
    os.utime(path, (then, then))


@pytest.fixture
def pip_runs(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    started: list[Any] = []
    real = subprocess.Popen

    def spy(args: Any, *rest: Any, **kwargs: Any) -> subprocess.Popen[Any]:
        started.append(args)
        return real(args, *rest, **kwargs)

    monkeypatch.setattr(pip_config.subprocess, "Popen", spy)
    return started


def test_pip_config_is_kept_until_what_it_was_read_from_changes(
    tmp_path: Path, pip_runs: list[Any]
) -> None:
    home = tmp_path / "home"
    config = tmp_path / "xdg" / "pip" / "pip.conf"  # the user's config file
    _write(config, "[global]\nindex-url = https://one.example/simple\n")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "PIP_INDEX_URL": "https://user:s3cret-token@index.example/simple",
    }

    def read() -> dict[str, str]:
        return read_pip_config(sys.executable, env, tmp_path)

    assert read()["global.index-url"] == "https://one.example/simple"
    assert len(pip_runs) == 2  # config list and config debug
    # the environment's own PIP_* are not part of the answer (read where used)
    assert not any(key.startswith(":env:") for key in read())
    assert len(pip_runs) == 2  # the second read was the kept answer
    (record,) = (Path(os.environ["MANYWHEEL_CACHE_DIR"]).parent / "pip-config").iterdir()
    assert record.stat().st_mode & 0o777 == 0o600
    assert "s3cret" not in record.read_text()

    # the file changed (another size, another mtime)
    _write(config, "[global]\nindex-url = https://two.example/simple\n", age=30)
    assert read()["global.index-url"] == "https://two.example/simple"
    assert len(pip_runs) == 4
    read()
    assert len(pip_runs) == 4

    # the user's legacy config file, absent so far, appears
    _write(home / ".pip" / "pip.conf", "[global]\nretries = 7\n", age=30)
    assert read()["global.retries"] == "7"
    assert len(pip_runs) == 6

    # a PIP_* variable changed: pip is asked again
    env["PIP_INDEX_URL"] = "https://other.example/simple"
    read()
    assert len(pip_runs) == 8


def test_a_file_changed_just_now_is_not_kept(tmp_path: Path, pip_runs: list[Any]) -> None:
    config = tmp_path / "pip.conf"
    _write(config, "[global]\ntimeout = 9\n", age=0)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PIP_CONFIG_FILE": str(config)}
    assert read_pip_config(sys.executable, env, tmp_path)["global.timeout"] == "9"
    assert read_pip_config(sys.executable, env, tmp_path)["global.timeout"] == "9"
    assert len(pip_runs) == 4  # asked both times: an mtime this fresh may not show the next edit


def test_another_path_to_the_same_interpreter_is_another_pip(tmp_path: Path) -> None:
    """Two venvs of one interpreter resolve to the same binary, but each has its own pip: an
    interpreter path other than this process's own is never answered from a kept record."""
    other = tmp_path / "bin" / "python"
    other.parent.mkdir()
    other.symlink_to(os.path.realpath(sys.executable))
    assert pip_config._Asked(str(other), {}, tmp_path).pip_init() is None
    assert pip_config._Asked(sys.executable, {}, tmp_path).pip_init() is not None


def test_pip_s_own_reading_here_says_what_its_processes_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In this process's own environment, pip's configuration is read by pip's code here: the
    same files and values as `pip config list` and `debug` print; a key two files set has the
    value pip itself uses (`pip config get`: the user's file over the system's), which newer
    pips' `list` prints in the order of the files' names. A value of several lines comes back
    as pip holds it, by both ways."""
    system = tmp_path / "zsys" / "pip" / "pip.conf"  # XDG_CONFIG_DIRS: a global file
    _write(system, "[global]\ntimeout = 5\n[install]\nno-compile = true\n")
    user = tmp_path / "xdg" / "pip" / "pip.conf"
    text = "[global]\nindex-url = https://one.example/simple\nfind-links =\n  /a\n  /b\n"
    _write(user, text + "timeout = 9\n")
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "zsys"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PIP_CONFIG_FILE", raising=False)
    monkeypatch.setenv("PIP_RETRIES", "3")  # the environment's own: not part of the answer
    monkeypatch.chdir(tmp_path)
    asked = pip_config._Asked(sys.executable, os.environ, tmp_path)
    here = pip_config._read_here(asked)
    assert here is not None
    settings, files = here
    said, listed = pip_config._ask_pip(asked)
    assert listed is not None
    assert sorted(files) == sorted(listed)
    assert {str(user), str(system)} <= set(files)
    assert settings["global.find-links"] == said["global.find-links"] == "\n/a\n/b"
    assert settings["install.no-compile"] == said["install.no-compile"] == "true"
    assert not any(key.startswith(":env:") for key in settings)
    used = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", "global.timeout"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert settings["global.timeout"] == used == "9"
    assert {k: v for k, v in settings.items() if k != "global.timeout"} == {
        k: v for k, v in said.items() if k != "global.timeout"
    }
    # another environment than this process's: pip's processes answer, not this reading
    other = pip_config._Asked(sys.executable, dict(os.environ), tmp_path)
    assert pip_config._read_here(other) is None


def test_an_index_list_of_several_lines_reaches_the_container(tmp_path: Path) -> None:
    """pip.conf's usual way to name two extra indexes, one a line: `pip config list` prints
    the value escaped (its repr); both indexes are forwarded, for pip and for uv. (Read as
    the text between the quotes, the value was one word with a backslash in it, no URL, and
    no extra index reached the container.)"""
    config = tmp_path / "xdg" / "pip" / "pip.conf"
    lines = "  https://one.example/simple\n  https://two.example/simple\n"
    _write(config, "[global]\nextra-index-url =\n" + lines)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(config.parents[1]),
    }
    settings = read_pip_config(sys.executable, env, tmp_path)  # pip's processes: another env
    forwarded = forward_environment({}, [], settings).env
    both = "https://one.example/simple https://two.example/simple"
    assert forwarded["PIP_EXTRA_INDEX_URL"] == both
    assert forwarded["UV_EXTRA_INDEX_URL"] == both
