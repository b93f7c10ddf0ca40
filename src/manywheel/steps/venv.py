"""Virtual environments for building and testing, with uv when it is there, else venv+pip."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import PurePosixPath

from manywheel.errors import StepFailed
from manywheel.files import tail
from manywheel.steps.context import JobContext

# Without uv: a venv without pip, and pip's own wheel (the one ensurepip would install, from
# the interpreter's ensurepip or the distribution's python-wheels dir) unpacked into it.
# `python -m venv` runs ensurepip, which installs pip with pip and byte-compiles all of it:
# 45 s under QEMU, against 2 s for this. Without a bundled wheel: ensurepip, as before.
# (Any CPython >= 3.6 or PyPy 3: it runs in the job's interpreter, in any image.)
_VENV_WITH_PIP = """\
import glob, os, sys, venv, zipfile
dest = sys.argv[1]
try:
    import ensurepip
    found = glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl"))
except ImportError:
    found = []
found = found or glob.glob("/usr/share/python-wheels/pip-*.whl")
venv.create(dest, with_pip=not found, symlinks=os.name != "nt")
if found:
    (site,) = glob.glob(os.path.join(dest, "lib", "*", "site-packages"))  # python3.X, pypy3.X
    zipfile.ZipFile(sorted(found)[-1]).extractall(site)
"""


# a command that runs pip (``pip install``, ``python -m pip``, ``pip3``), not pipx, pip-audit
# or ``uv pip``
_PIP = re.compile(r"(?<![\w.-])(?<!uv )pip3?(?![\w.-])")


def runs_pip(*commands: str) -> bool:
    """Whether a user's command runs pip: the venv it runs in then needs pip in it."""
    return any(_PIP.search(c) for c in commands)


_NO_PIP = ("pip: not found", "pip: command not found", "No module named pip")


@contextmanager
def missing_pip_said(pipless: bool) -> Iterator[None]:
    """A user's command that failed for want of pip in a venv uv made without it (``pipless``)
    says so, and how to have it: runs_pip did not see pip in the command (a script runs it)."""
    try:
        yield
    except StepFailed as exc:
        said = "\n".join(tail(exc.log, end=exc.log_end)) if exc.log is not None else ""
        if pipless and any(s in said for s in _NO_PIP):
            exc.message += (
                ". The venv it ran in has no pip: uv makes venvs without it, and manywheel adds "
                "pip only when the command itself runs it. Run pip in the command (python -m "
                "pip ...), or install with 'uv pip install'"
            )
        raise


def make_venv(
    ctx: JobContext, step: str, path: PurePosixPath, *, use_uv: bool, pip: bool = False
) -> PurePosixPath:
    """Create a venv from the job's interpreter; return its python. ``pip``: with pip in it
    also when uv makes it (``uv venv --seed``; venv's own has pip anyway)."""
    uv = ctx.executor.uv()
    if use_uv and uv:
        seed = ["--seed"] if pip else []
        ctx.run(step, [uv, "venv", "--quiet", *seed, "--python", ctx.job.python, str(path)])
    else:
        ctx.run(step, [ctx.job.python, "-c", _VENV_WITH_PIP, str(path)])
    return path / "bin" / "python"


def pip_install(
    ctx: JobContext,
    step: str,
    python: PurePosixPath,
    requirements: Sequence[str],
    *,
    use_uv: bool,
    env: Mapping[str, str] | None = None,
) -> None:
    """Install ``requirements`` into the venv of ``python``, in the project copy, where
    cibuildwheel runs every command: a relative path in them (``-r requirements/test.txt``)
    or in the user's environment (``PIP_CONSTRAINT=requirements/cython.txt``) is the
    project's. ``env``: the step's variables on top of the job's (the test's environment)."""
    if not requirements:
        return
    uv = ctx.executor.uv()
    if use_uv and uv:
        argv = [uv, "pip", "install", "--quiet", "--python", str(python), *requirements]
    else:
        # no byte-compiling (modules compile when imported) and no version check (a network
        # round trip): both cost seconds under QEMU
        argv = [str(python), "-m", "pip", "install", "--quiet", "--no-compile"]
        argv += ["--disable-pip-version-check", *requirements]
    ctx.run(step, argv, cwd=ctx.project, env=env)
