"""Files between the host and a container: in as one tar stream per copy (never a writable
bind mount of the user's tree), out with ``cat`` (through a command runner when there is
one). Every copy is an engine command of the container's process tracker, so that cancel()
stops copies as well as builds.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from manywheel.backends.container_commands import ContainerCommands
from manywheel.backends.container_runner import ContainerRunner


@dataclass(frozen=True)
class HostFile:
    """A host file's bytes, put at ``dest`` in the container."""

    src: Path
    dest: PurePosixPath
    mode: int = 0o644


@dataclass(frozen=True)
class Symlink:
    """A symlink at ``dest`` in the container, to ``target``."""

    dest: PurePosixPath
    target: str


def _member_name(path: PurePosixPath) -> str:
    return str(path).lstrip("/")


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    tar.addfile(info, io.BytesIO(data))


def add_members(tar: tarfile.TarFile, members: Sequence[HostFile | Symlink]) -> None:
    """Add members to a tar stream extracted at ``/``."""
    for member in members:
        if isinstance(member, HostFile):
            _add_bytes(tar, _member_name(member.dest), member.src.read_bytes(), member.mode)
        else:
            link = tarfile.TarInfo(_member_name(member.dest))
            link.type, link.linkname = tarfile.SYMTYPE, member.target
            tar.addfile(link)


_EXTRACT = 'mkdir -p "$1" && tar -x -f - -C "$1"'


def put_tar(
    commands: ContainerCommands, dest: PurePosixPath, fill: Callable[[tarfile.TarFile], None]
) -> None:
    """Stream a tar archive, its members added by ``fill``, into ``dest``."""
    cmd, _ = commands.exec(["sh", "-c", _EXTRACT, "sh", str(dest)], interactive=True)
    try:
        with commands.processes.started(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        ) as proc:
            assert proc.stdin is not None
            assert proc.stderr is not None
            try:
                with tarfile.open(fileobj=proc.stdin, mode="w|") as tar:
                    fill(tar)
            finally:
                proc.stdin.close()
            err = proc.stderr.read().decode(errors="replace")
            code = proc.wait()
    except BrokenPipeError:
        code, err = 1, "the copy ended early"
    if code != 0:
        raise OSError(5, f"copying files into the container failed: {err.strip()[-300:]}")


def put_project(
    commands: ContainerCommands,
    runner: ContainerRunner,
    project: Path,
    project_dir: PurePosixPath,
    members: Sequence[HostFile | Symlink],
) -> None:
    """The host copy of the project at ``project_dir``, and ``members``: one tar stream, as
    the input of a command of the runner (up to 32 MiB), else of an exec of its own."""

    def fill(tar: tarfile.TarFile) -> None:
        tar.add(project, arcname=_member_name(project_dir))
        add_members(tar, members)

    data = _tar_bytes(fill, _BY_INPUT) if runner.python is not None else None
    if data is not None:
        said: list[bytes] = []
        argv = ["sh", "-c", _EXTRACT, "sh", "/"]
        code = runner.run(argv, None, {}, said.append, stdin=data)
        if code == 0:
            return
        if code is not None:
            message = b"".join(said).decode(errors="replace").strip()[-300:]
            raise OSError(5, f"copying files into the container failed: {message}")
    put_tar(commands, PurePosixPath("/"), fill)


class _TooBig(Exception):
    pass


class _CappedBuffer(io.BytesIO):
    def __init__(self, cap: int) -> None:
        super().__init__()
        self._cap = cap

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.tell() + len(data) > self._cap:
            raise _TooBig
        return super().write(data)


def _tar_bytes(fill: Callable[[tarfile.TarFile], None], cap: int) -> bytes | None:
    """The tar archive ``fill`` makes, in memory; None when it would be over ``cap`` bytes."""
    buffer = _CappedBuffer(cap)
    try:
        with tarfile.open(fileobj=buffer, mode="w|") as tar:
            fill(tar)
    except _TooBig:
        return None
    return buffer.getvalue()


# a small text file goes in as a command's argument, through a runner: an exec of its own (the
# tar stream's) costs a sixth of a second, and the steps put several such files in per job
_BY_ARGUMENT = 64 * 1024
_WRITE = 'mkdir -p "$(dirname "$1")" && printf %s "$2" > "$1"'
# other files up to this size, and the project's tar stream, go in as a command's input (its
# bytes after the runner's request, held in memory here: an abi3 wheel a later CPython tests,
# 0.17 s by a tar stream of its own, 0.07 s so)
_BY_INPUT = 32 * 1024 * 1024
_WRITE_INPUT = 'mkdir -p "$(dirname "$1")" && cat > "$1"'


def put_file(
    commands: ContainerCommands, runner: ContainerRunner, src: Path, dest: PurePosixPath
) -> None:
    """One host file into the container, its parent directories created: through the runner
    (a small text as an argument, other bytes as the command's input), else a tar stream."""
    data = src.read_bytes()
    text = _as_argument(data)
    said: list[bytes] = []
    if text is not None:
        code = runner.run(["sh", "-c", _WRITE, "sh", str(dest), text], None, {}, said.append)
    elif len(data) <= _BY_INPUT:
        argv = ["sh", "-c", _WRITE_INPUT, "sh", str(dest)]
        code = runner.run(argv, None, {}, said.append, stdin=data)
    else:
        code = None
    if code == 0:
        return
    if code is not None:
        message = b"".join(said).decode(errors="replace").strip()[-300:]
        raise OSError(5, f"copying {src.name} into the container failed: {message}")
    put_tar(commands, dest.parent, lambda tar: _add_bytes(tar, dest.name, data))


def _as_argument(data: bytes) -> str | None:
    """``data`` as a command argument: small UTF-8 text without NUL (else None)."""
    if len(data) > _BY_ARGUMENT or b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def copy_out(
    commands: ContainerCommands, runner: ContainerRunner, src: PurePosixPath, dest: Path
) -> None:
    """One file out of the container to a host path; OSError saying why it could not."""
    if runner.python is not None:
        with dest.open("wb") as fh:
            code = runner.run(["cat", str(src)], None, {}, fh.write)
        if code == 0:
            return
        if code is not None:  # cat's message is what it wrote
            raise OSError(
                2,
                f"copying {src} out of the container failed: "
                f"{dest.read_bytes()[-300:].decode(errors='replace').strip()}",
            )
    cmd, _ = commands.exec(["cat", str(src)])
    with dest.open("wb") as fh:
        try:
            with commands.processes.started(
                cmd, stdout=fh, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
            ) as proc:
                _, err = proc.communicate()
        except OSError as exc:
            raise OSError(5, f"copying {src} out of the container failed: {exc}") from None
    if proc.returncode != 0:
        raise OSError(
            2,
            f"copying {src} out of the container failed: "
            f"{err.decode(errors='replace').strip()[-300:]}",
        )
