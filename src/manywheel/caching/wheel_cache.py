"""A content-addressed cache of repaired wheels.

An entry's key hashes everything that can change the wheel: the project's content (or the
sdist's bytes), the identifier, the interpreter or image it was built with (the image ID, not
just its name), every build option, and manywheel's version. A second key adds the test
options: a restored wheel skips its test only if it passed with the same test configuration.
Entries are verified by sha256 on every hit; a corrupted entry is removed and rebuilt.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manywheel import __version__
from manywheel.caching.key_inputs import digest
from manywheel.config.model import Options
from manywheel.files import atomic_write_text, sha256_file
from manywheel.planning.source_copy import is_skipped

TEST_FIELDS = (
    "test_command",
    "test_requires",
    "test_extras",
    "test_sources",
    "test_environment",
    "before_test",
)
# Options that never change what a job builds.
_NOT_BUILD_INPUTS = {
    "build",
    "skip",
    "test_skip",
    "archs",
    "enable",
    "output_dir",
    "log_dir",
    "jobs",
    "fail_fast",
    "allow_empty",
    "keep_container",
    "cache",
    "cache_size",
    # the compiler cache reuses an object only for the same preprocessed input, compiler and
    # flags: it never changes a wheel's bytes (compiler_cache.py), so it is not a build input
    "compiler_cache",
    "interpreters",
    "container_engine",
}


def default_cache_root() -> Path:
    if os.environ.get("MANYWHEEL_CACHE_DIR"):
        return Path(os.environ["MANYWHEEL_CACHE_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(cache) / "manywheel" / "wheels"


def _git_state(root: Path) -> Iterable[tuple[str, bytes]]:
    """What of .git decides a version (setuptools-scm): HEAD and refs, not objects."""
    git = root / ".git"
    if not git.is_dir():
        return
    for name in ("HEAD", "packed-refs"):
        if (git / name).is_file():
            yield f".git/{name}", (git / name).read_bytes()
    refs = git / "refs"
    if refs.is_dir():
        for path in sorted(refs.rglob("*")):
            if path.is_file():
                yield str(path.relative_to(root)), path.read_bytes()


def project_digest(path: Path, exclude: set[Path]) -> str:
    """sha256 over the files a build would see (the same rules as the source copy)."""
    if path.is_file():
        return "sdist:" + sha256_file(path)
    hasher = hashlib.sha256()
    for directory, dirs, files in os.walk(path):
        here = Path(directory)
        dirs[:] = sorted(d for d in dirs if d != ".git" and not is_skipped(path, here, d, exclude))
        for name in sorted(files):
            if is_skipped(path, here, name, exclude):
                continue
            file = here / name
            rel = str(file.relative_to(path))
            hasher.update(f"{rel}\0{os.lstat(file).st_mode & 0o111}\0".encode())
            if file.is_symlink():
                hasher.update(os.readlink(file).encode())
            elif file.is_file():
                hasher.update(sha256_file(file).encode())
    for rel, data in _git_state(path):
        hasher.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return "dir:" + hasher.hexdigest()


def _options_document(options: Options, fields: Iterable[str] | None = None) -> dict[str, Any]:
    doc = dataclasses.asdict(options)
    if fields is not None:
        return {k: doc[k] for k in fields}
    return {k: v for k, v in doc.items() if k not in _NOT_BUILD_INPUTS and k not in TEST_FIELDS}


@dataclass(frozen=True)
class CacheKeys:
    build: str
    test: str


def cache_keys(project: str, identifier: str, builder: str, options: Options) -> CacheKeys:
    build = digest(
        {
            "manywheel": __version__,
            "project": project,
            "identifier": identifier,
            "builder": builder,
            "options": _options_document(options),
        }
    )
    test = digest({"build": build, "test": _options_document(options, TEST_FIELDS)})
    return CacheKeys(build, test)


@dataclass(frozen=True)
class CacheEntry:
    wheel: Path
    tested: bool
    warnings: tuple[str, ...] = ()  # what the test step found (a GIL re-enabled), per test key


class WheelCache:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def _dir(self, key: str) -> Path:
        return self.root / key[:2] / key

    def lookup(self, keys: CacheKeys) -> CacheEntry | None:
        entry = self._dir(keys.build)
        try:
            meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
            wheel = entry / meta["wheel"]
            if sha256_file(wheel) != meta["sha256"]:
                raise ValueError("hash mismatch")
        except (OSError, ValueError, KeyError, TypeError):
            if entry.exists():
                shutil.rmtree(entry, ignore_errors=True)  # corrupted: never served
            return None
        try:
            os.utime(entry / "meta.json")  # recently used
        except OSError:
            return None  # removed meanwhile by a concurrent prune
        warnings = tuple(meta.get("warnings", {}).get(keys.test, []))
        return CacheEntry(wheel, keys.test in meta.get("tested", []), warnings)

    def wheel_path(self, keys: CacheKeys) -> Path | None:
        """The entry's wheel file, if there is one (not verified: for linking only)."""
        try:
            meta = json.loads((self._dir(keys.build) / "meta.json").read_text(encoding="utf-8"))
            return self._dir(keys.build) / str(meta["wheel"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def store(
        self,
        keys: CacheKeys,
        wheel: Path,
        tested: bool,
        warnings: Sequence[str] = (),
        *,
        same_as: Path | None = None,
    ) -> None:
        """Add an entry atomically (a temp dir renamed into place); a racing twin wins.

        ``same_as``: another entry's file with the same bytes (an abi3 wheel reused by a later
        CPython): hard-linked, so the cache holds the wheel once."""
        final = self._dir(keys.build)
        tmp: Path | None = None
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=final.parent))
            try:
                if same_as is None:
                    raise OSError("nothing to link")
                os.link(same_as, tmp / wheel.name)
            except OSError:
                shutil.copyfile(wheel, tmp / wheel.name)
            meta = {
                "wheel": wheel.name,
                "sha256": sha256_file(tmp / wheel.name),
                "tested": [keys.test] if tested else [],
                "warnings": {keys.test: list(warnings)} if tested else {},
                "created": time.time(),
            }
            (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
            if final.exists():
                shutil.rmtree(final, ignore_errors=True)
            os.replace(tmp, final)
            self.prune(self.max_bytes)
        except OSError:
            pass  # the cache is an optimisation: never fail a build over it
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)

    def mark_tested(self, keys: CacheKeys, warnings: Sequence[str] = ()) -> None:
        meta_path = self._dir(keys.build) / "meta.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            meta["tested"] = sorted({*meta.get("tested", []), keys.test})
            meta.setdefault("warnings", {})[keys.test] = list(warnings)
            atomic_write_text(meta_path, json.dumps(meta))
        except (OSError, ValueError):
            pass

    def entries(self) -> list[tuple[Path, int, float]]:
        """(entry dir, bytes, last used) for every entry; entries removed meanwhile (by a
        concurrent prune) are left out."""
        out: list[tuple[Path, int, float]] = []
        if not self.root.is_dir():
            return out
        for meta in self.root.glob("*/*/meta.json"):
            entry = meta.parent
            try:
                size = sum(f.stat().st_size for f in entry.iterdir() if f.is_file())
                out.append((entry, size, meta.stat().st_mtime))
            except OSError:
                continue
        return out

    def prune(self, max_bytes: int) -> tuple[int, int]:
        """Remove least recently used entries until the cache fits; (removed, freed bytes)."""
        entries = sorted(self.entries(), key=lambda e: e[2])
        total = sum(size for _, size, _ in entries)
        removed = freed = 0
        for entry, size, _ in entries:
            if total <= max_bytes:
                break
            shutil.rmtree(entry, ignore_errors=True)
            total -= size
            removed += 1
            freed += size
        return removed, freed
