"""A content-addressed cache of repaired wheels.

An entry's key hashes everything that can change the wheel: the project's content (or the
sdist's bytes, project_digest.py), the identifier, the interpreter or image it was built with
(the image ID, not just its name), the build environment, every build option, and manywheel's
own code (code_digest.py). A second key adds the test options: a restored wheel skips its test
only if it passed with the same test configuration.

Beside its key an entry keeps a manifest of the files its build used (manifest.py: compilers,
grafted host libraries, manywheel's code). On every hit the wheel's sha256 is checked (a
corrupted entry is removed and rebuilt) and the manifest is checked where the files are: an
input that changed, or could not be checked, refuses the hit, says why (``on_refused``), and
the job builds again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from manywheel.caching import code_digest
from manywheel.caching.key_inputs import digest
from manywheel.caching.manifest import Manifest
from manywheel.config.model import Options
from manywheel.files import atomic_write_text, sha256_file

TEST_FIELDS = (
    "test_command",
    "test_requires",
    "test_groups",
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
    "project_requires_python",
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


def _options_document(options: Options, fields: Iterable[str] | None = None) -> dict[str, Any]:
    doc = dataclasses.asdict(options)
    if fields is not None:
        return {k: doc[k] for k in fields}
    return {k: v for k, v in doc.items() if k not in _NOT_BUILD_INPUTS and k not in TEST_FIELDS}


@dataclass(frozen=True)
class CacheKeys:
    build: str
    test: str
    job: str = ""  # the identifier, for saying which entry was refused


def cache_keys(project: str, identifier: str, builder: str, options: Options) -> CacheKeys:
    build = digest(
        {
            "manywheel": code_digest.manywheel_digest(),
            "project": project,
            "identifier": identifier,
            "builder": builder,
            "options": _options_document(options),
        }
    )
    test = digest({"build": build, "test": _options_document(options, TEST_FIELDS)})
    return CacheKeys(build, test, identifier)


@dataclass(frozen=True)
class CacheEntry:
    wheel: Path
    tested: bool
    warnings: tuple[str, ...] = ()  # what the test step found (a GIL re-enabled), per test key


Refused = Callable[[str, str], None]  # (identifier, why): a hit refused by its manifest


class WheelCache:
    def __init__(self, root: Path, max_bytes: int, on_refused: Refused | None = None) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.on_refused = on_refused

    def _dir(self, key: str) -> Path:
        return self.root / key[:2] / key

    def lookup(self, keys: CacheKeys) -> CacheEntry | None:
        """The entry for ``keys``, if its wheel is intact and its manifest still holds."""
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
        why = _refusal(meta)
        if why is not None:  # built from other inputs: the rebuild replaces it
            shutil.rmtree(entry, ignore_errors=True)
            if self.on_refused is not None:
                self.on_refused(keys.job, why)
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
        manifest: Manifest,
        same_as: Path | None = None,
    ) -> None:
        """Add an entry atomically (a temp dir renamed into place); a racing twin wins.

        ``manifest``: what the build used (build_inputs.record), checked on every hit.

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
                "manifest": manifest.to_json(),
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


def _refusal(meta: dict[str, Any]) -> str | None:
    """Why an intact entry must not be served (its manifest no longer holds), or None."""
    try:
        manifest = Manifest.from_json(meta.get("manifest"))
    except (ValueError, TypeError):
        return "it has no manifest of what its build used (stored by an older manywheel)"
    return manifest.refusal()
