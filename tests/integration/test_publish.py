"""Publishing to a real pypiserver on 127.0.0.1 with password authentication."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from passlib.apache import HtpasswdFile

from tests.projects import make_c_project
from tests.running import manywheel
from tests.venvs import fresh_venv

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "spam"
PASSWORD = "s3cr3t-Upl0ad-pa55"
TOKEN = "pypi-AgEIcHlwaS5vcmcCJGZha2UtdG9rZW4tZm9yLXRlc3Rz"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("pypiserver")
    packages = root / "packages"
    packages.mkdir()
    htpasswd = HtpasswdFile(str(root / "htpasswd"), new=True)
    htpasswd.set_password("uploader", PASSWORD)
    htpasswd.save()
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "pypi-server"),
            "run",
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "-P",
            str(root / "htpasswd"),
            "-a",
            "update",
            str(packages),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/simple/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield url, packages
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dists")
    project = tmp_path_factory.mktemp("src") / "spam"
    shutil.copytree(EXAMPLE, project)
    proc = manywheel(
        "build", str(project), "-o", str(out), "-q", "--sdist", "--only", "cp311-manylinux_x86_64"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.suffix for p in out.iterdir()) == [".gz", ".whl"]
    return out


def publish(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("MANYWHEEL_", "TWINE_"))}
    full.update(env)
    return manywheel("publish", *args, env=full)


def _no_secret(proc: subprocess.CompletedProcess[str]) -> None:
    for secret in (PASSWORD, TOKEN):
        assert secret not in proc.stdout
        assert secret not in proc.stderr
    assert "Traceback" not in proc.stderr


def test_upload_then_install_from_the_index(
    index: tuple[str, Path], dists: Path, tmp_path: Path
) -> None:
    url, packages = index
    proc = publish(
        str(dists),
        "--repository-url",
        url,
        MANYWHEEL_USERNAME="uploader",
        MANYWHEEL_PASSWORD=PASSWORD,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _no_secret(proc)
    assert "2 uploaded" in proc.stdout
    assert sorted(p.name for p in packages.iterdir()) == sorted(p.name for p in dists.iterdir())

    venv = tmp_path / "venv"
    fresh_venv(sys.executable, venv)
    subprocess.run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "-q",
            "--only-binary",
            ":all:",
            "--index-url",
            f"{url}/simple/",
            "spam",
        ],
        check=True,
    )
    subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import spam; assert spam.add(1, 2) == 3"],
        check=True,
        cwd=tmp_path,
    )

    # again, with --skip-existing: succeeds and changes nothing
    before = {p.name: p.stat().st_mtime_ns for p in packages.iterdir()}
    again = publish(
        str(dists),
        "--repository-url",
        url,
        "--skip-existing",
        TWINE_USERNAME="uploader",
        TWINE_PASSWORD=PASSWORD,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 uploaded, 2 already there" in again.stdout
    assert {p.name: p.stat().st_mtime_ns for p in packages.iterdir()} == before

    # and without it: a clear error that says what to do
    clash = publish(
        str(dists),
        "--repository-url",
        url,
        MANYWHEEL_USERNAME="uploader",
        MANYWHEEL_PASSWORD=PASSWORD,
    )
    assert clash.returncode == 1
    _no_secret(clash)
    assert "is already on" in clash.stderr
    assert "--skip-existing" in clash.stderr


def test_wrong_password(index: tuple[str, Path], dists: Path) -> None:
    url, _ = index
    proc = publish(
        str(dists),
        "--repository-url",
        url,
        MANYWHEEL_USERNAME="uploader",
        MANYWHEEL_PASSWORD=PASSWORD + "-wrong",
    )
    assert proc.returncode == 1
    assert "refused the credentials" in proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr


def test_token_in_url_and_unreachable_server(dists: Path) -> None:
    # a port bound but not listening: connections are refused, and no other server (another
    # test's pypiserver) can take it meanwhile, as it could a port merely found free
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = int(holder.getsockname()[1])
        url = f"http://__token__:{TOKEN}@127.0.0.1:{port}/"
        proc = publish(str(dists), "--repository-url", url, MANYWHEEL_TOKEN=TOKEN)
    assert proc.returncode == 1
    _no_secret(proc)
    assert "cannot reach http://__token__:****@127.0.0.1" in proc.stderr


def test_invalid_dist_and_mixed_versions(tmp_path: Path, dists: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "spam-1.0.0-cp311-cp311-manylinux_2_17_x86_64.whl").write_bytes(b"not a zip")
    proc = publish(
        str(broken), "--repository-url", "http://127.0.0.1:9/", MANYWHEEL_PASSWORD=PASSWORD
    )
    assert proc.returncode == 1
    assert "nothing was uploaded" in proc.stderr
    assert "PyPI: Invalid distribution file. File is not a zipfile" in proc.stderr
    _no_secret(proc)

    mixed = tmp_path / "mixed"
    shutil.copytree(dists, mixed)
    wheel = next(mixed.glob("*.whl"))
    shutil.copy(wheel, mixed / wheel.name.replace("1.0.0", "1.0.1"))
    proc = publish(str(mixed), "--dry-run", "--repository-url", "http://127.0.0.1:9/")
    assert proc.returncode == 2
    assert "refusing to publish a mix of projects or versions" in proc.stderr


def test_dry_run_lists_files(dists: Path) -> None:
    proc = publish(str(dists), "--dry-run", "--repository-url", "http://127.0.0.1:9/")
    assert proc.returncode == 0, proc.stderr
    assert "would upload spam 1.0.0 to http://127.0.0.1:9/" in proc.stdout
    assert "spam-1.0.0.tar.gz" in proc.stdout


def _tamper(wheel: Path) -> str:
    """Change the extension module after RECORD was written; return its member name."""
    with zipfile.ZipFile(wheel) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    (so,) = [info.filename for info, _ in members if info.filename.endswith(".so")]
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            zf.writestr(info, data + b"\0" if info.filename == so else data)
    return so


def _built(tmp_path: Path, name: str, version: str = "0.1.0") -> Path:
    """A C project's sdist and cp311 wheel, in a directory of their own."""
    project = make_c_project(tmp_path, name)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"0.1.0"', f'"{version}"'))
    out = tmp_path / "dist"
    build = manywheel(
        *("build", str(project), "-o", str(out), "-q", "--sdist"),
        *("--only", "cp311-manylinux_x86_64"),
    )
    assert build.returncode == 0, build.stdout + build.stderr
    return out


def test_publish_uploads_nothing_when_check_rejects_a_file(
    index: tuple[str, Path], tmp_path: Path
) -> None:
    url, packages = index
    out = _built(tmp_path, "tampered")
    (wheel,) = out.glob("*.whl")
    so = _tamper(wheel)

    proc = publish(
        str(out),
        "--repository-url",
        url,
        MANYWHEEL_USERNAME="uploader",
        MANYWHEEL_PASSWORD=PASSWORD,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "manywheel check found broken distributions, nothing was uploaded" in proc.stderr
    assert f"{wheel.name}: broken (PyPI would take it; installers may not)" in proc.stderr
    assert f"manywheel: RECORD: hash of {so} does not match" in proc.stderr
    assert "Traceback" not in proc.stderr
    # not the wheel, and not the sdist either (it would have gone first)
    assert [p.name for p in packages.iterdir() if p.name.startswith("tampered")] == []
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{url}/simple/tampered/", timeout=10)
    assert missing.value.code == 404


def test_a_file_already_there_is_recognised_where_twine_wraps_the_answer(
    index: tuple[str, Path], tmp_path: Path
) -> None:
    # pypiserver answers "Package '<file>' already exists!" in an HTML page that twine shows
    # indented; at a terminal's 80 columns a file name of 19 characters (xxhash-4.1.0.tar.gz,
    # found so) puts the line break between "already" and "exists", and the answer was not
    # recognised
    url, _ = index
    out = _built(tmp_path, "wrapme")
    credentials = {"MANYWHEEL_USERNAME": "uploader", "MANYWHEEL_PASSWORD": PASSWORD}
    first = publish(str(out), "--repository-url", url, **credentials)
    assert first.returncode == 0, first.stdout + first.stderr

    again = publish(str(out), "--repository-url", url, "--skip-existing", **credentials)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 uploaded, 2 already there" in again.stdout

    clash = publish(str(out), "--repository-url", url, **credentials)
    assert clash.returncode == 1
    sdist = "wrapme-0.1.0.tar.gz"
    assert clash.stderr.strip() == (
        f"manywheel: error: {sdist} is already on {url}, and an index never accepts the same "
        "file twice. Pass --skip-existing to upload only what is missing."
    )
    _no_secret(clash)


class _Answering(BaseHTTPRequestHandler):
    """An index that answers every upload with one status (``server.answer``)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        code, reason = self.server.answer  # type: ignore[attr-defined]
        self.send_response(code, reason)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def _publish_to_answering(
    files: Path, code: int, reason: str
) -> tuple[str, subprocess.CompletedProcess[str]]:
    """Publish to a plain HTTP server on 127.0.0.1 that answers ``code``: it stands in for an
    index in trouble, as pypiserver cannot be made to answer so."""
    server = HTTPServer(("127.0.0.1", 0), _Answering)
    server.answer = (code, reason)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/"
    try:
        proc = publish(
            str(files),
            "--repository-url",
            url,
            MANYWHEEL_USERNAME="uploader",
            MANYWHEEL_PASSWORD=PASSWORD,
        )
    finally:
        server.shutdown()
        server.server_close()
    _no_secret(proc)
    return url, proc


def test_a_server_error_is_retried_then_reported(dists: Path) -> None:
    url, proc = _publish_to_answering(dists, 503, "Service Unavailable")
    assert proc.returncode == 1
    said = proc.stdout + proc.stderr
    assert "retrying spam-1.0.0.tar.gz after a transient error (try 1 of 3)" in said
    assert "retrying spam-1.0.0.tar.gz after a transient error (try 2 of 3)" in said
    assert "(try 3 of 3)" not in said
    assert proc.stderr.strip().endswith(
        f"uploading spam-1.0.0.tar.gz to {url} failed: HTTPError: 503 Service Unavailable "
        f"from {url}"
    )


def test_numbers_in_the_output_are_not_taken_for_the_index_answer(
    index: tuple[str, Path], tmp_path: Path
) -> None:
    # twine's output names the file: a 500, 403 or 409 in its version, or "forbidden" and
    # "conflict" in its name, are no server error, no refusal of the credentials and no conflict
    out = _built(tmp_path, "forbidden_conflict", version="1.500.403.409")
    sdist = "forbidden_conflict-1.500.403.409.tar.gz"
    url, proc = _publish_to_answering(out, 400, "Bad Request")
    assert proc.returncode == 1
    assert "retrying" not in proc.stdout + proc.stderr
    assert proc.stderr.strip() == (
        f"manywheel: error: uploading {sdist} to {url} failed: HTTPError: 400 Bad Request "
        f"from {url}"
    )

    # and an answer that will not change (the file is there) is reported at once
    url, _ = index
    credentials = {"MANYWHEEL_USERNAME": "uploader", "MANYWHEEL_PASSWORD": PASSWORD}
    first = publish(str(out), "--repository-url", url, **credentials)
    assert first.returncode == 0, first.stdout + first.stderr
    clash = publish(str(out), "--repository-url", url, **credentials)
    assert clash.returncode == 1
    assert "retrying" not in clash.stdout + clash.stderr
    assert f"{sdist} is already on" in clash.stderr


def test_a_repository_the_pypirc_lacks_is_a_configuration_error(
    dists: Path, tmp_path: Path
) -> None:
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(
        "[distutils]\nindex-servers = local\n\n[local]\nrepository = http://127.0.0.1:9/\n"
    )
    proc = publish(
        str(dists),
        "--repository",
        "nosuch",
        "--config-file",
        str(pypirc),
        MANYWHEEL_PASSWORD=PASSWORD,
    )
    assert proc.returncode == 2
    _no_secret(proc)
    assert proc.stderr.strip() == (
        f"manywheel: error: twine cannot upload to 'nosuch': Missing 'nosuch' section from "
        f"{pypirc}. Name a repository the .pypirc has (--config-file names another file than "
        "~/.pypirc), or pass --repository-url."
    )
