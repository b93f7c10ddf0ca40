"""What a foreign-arch build needs to know about the target interpreter, from its image.

A cross build runs the PEP 517 backend in a host CPython of the same minor version, told
about the target the way CPython's own cross builds (and crossenv, and cibuildwheel's Android
support) do: ``_PYTHON_HOST_PLATFORM`` gives the platform tag, ``_PYTHON_SYSCONFIGDATA_NAME``
names the target's ``_sysconfigdata_*`` module (EXT_SUFFIX, SOABI, include dir), and the
target's headers stand in for the host's. Those facts are copied out of the target image once
per image ID and interpreter, and cached under ~/.cache/manywheel/cross/.
"""

from __future__ import annotations

import ast
import json
import os
import pprint
import shutil
from dataclasses import dataclass
from pathlib import Path

from manywheel.toolchains.sysroot import Sysroot
from manywheel.toolchains.target_run import read_from_target, unpack_entry

# Runs in the target interpreter (under QEMU), writing a tar archive to stdout: the include
# dirs (Debian's multiarch pyconfig.h dir too), the _sysconfigdata_ module and facts.json.
FACTS_SCRIPT = """\
import io, json, os, sys, sysconfig, tarfile
name = sysconfig._get_sysconfigdata_name()
module = __import__(name)
cv = sysconfig.get_config_vars()
paths = sysconfig.get_paths()
dirs = set([paths["include"], paths["platinclude"]])
if cv.get("MULTIARCH") and cv.get("INCLUDEDIR"):
    dirs.add(os.path.join(cv["INCLUDEDIR"], cv["MULTIARCH"], "python" + cv["LDVERSION"]))
facts = {"sysconfigdata": name, "ext_suffix": cv["EXT_SUFFIX"], "include": paths["include"],
         "include_dirs": sorted(d for d in dirs if os.path.isdir(d)),
         "version": "%d.%d" % sys.version_info[:2]}
tar = tarfile.open(fileobj=sys.stdout.buffer, mode="w|")
for d in facts["include_dirs"]:
    tar.add(d, arcname="root" + d)
tar.add(module.__file__, arcname="site/%s.py" % name)
data = json.dumps(facts).encode()
info = tarfile.TarInfo("facts.json")
info.size = len(data)
tar.addfile(info, io.BytesIO(data))
tar.close()
"""
# On PYTHONPATH of the build backend only: processes run with -I (uv's and pip's own
# interpreter probes, installers) ignore PYTHONPATH, so build dependencies stay host wheels.
# sysconfig's "include" path comes from the interpreter's own prefix, not its sysconfigdata:
# scikit-build-core and meson read it, so it is pointed at the target's headers too.
SITECUSTOMIZE = """\
# manywheel: this process builds for {platform} (see manywheel/toolchains/target.py)
import os
import sysconfig

os.environ["_PYTHON_HOST_PLATFORM"] = {platform!r}
os.environ["_PYTHON_SYSCONFIGDATA_NAME"] = {name!r}
_host_get_paths = sysconfig.get_paths


def _target_get_paths(*args, **kwargs):
    paths = _host_get_paths(*args, **kwargs)
    paths["include"] = paths["platinclude"] = {include!r}
    return paths


sysconfig.get_paths = _target_get_paths
"""
# the cache entries' layout: a new one when what localize() writes changes
LAYOUT = "v2"
# where the compiler must find the target's headers instead of the image's paths
_INCLUDE_VARS = ("INCLUDEPY", "CONFINCLUDEPY", "INCLUDEDIR", "CONFINCLUDEDIR")


@dataclass(frozen=True)
class TargetFacts:
    directory: Path  # the cache entry
    sysconfigdata: str  # the module's name
    ext_suffix: str
    version: str  # "3.11"
    # the target image's system libraries and headers (sysroot.py), for zig and the repair
    sysroot: Sysroot | None = None

    @property
    def site(self) -> Path:
        """What goes on the backend's PYTHONPATH: sitecustomize and the sysconfigdata module."""
        return self.directory / "site"

    @classmethod
    def load(cls, directory: Path) -> TargetFacts:
        data = json.loads((directory / "facts.json").read_text(encoding="utf-8"))
        return cls(directory, data["sysconfigdata"], data["ext_suffix"], data["version"])


def cross_root() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(cache) / "manywheel" / "cross"


def cross_environment(facts: TargetFacts, environ_pythonpath: str = "") -> dict[str, str]:
    """The variables the build backend's process needs (PYTHONPATH first: see SITECUSTOMIZE)."""
    parts = [str(facts.site), *([environ_pythonpath] if environ_pythonpath else [])]
    return {"PYTHONPATH": os.pathsep.join(parts)}


def build_time_vars(source: str) -> dict[str, object]:
    """The ``build_time_vars`` dict of a sysconfigdata module, read as data (never run)."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "build_time_vars" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            if isinstance(value, dict):
                return value
    raise ValueError("no build_time_vars dict in the target's sysconfigdata module")


def localize(directory: Path, platform: str, final: Path) -> None:
    """Make an extracted facts archive usable on the host: the sysconfigdata's include
    paths point into the copy, Debian's multiarch pyconfig.h replaces the wrapper that
    includes it by a path only the target's compiler knows, and sitecustomize is written.
    ``final`` is where ``directory`` will be renamed to (the paths written name it)."""
    facts = json.loads((directory / "facts.json").read_text(encoding="utf-8"))
    root = directory / "root"
    include = root / facts["include"].lstrip("/")
    for extra in facts["include_dirs"]:
        source = root / extra.lstrip("/")
        if source != include and (source / "pyconfig.h").is_file():
            shutil.copy2(source / "pyconfig.h", include / "pyconfig.h")
    module = directory / "site" / f"{facts['sysconfigdata']}.py"
    variables = build_time_vars(module.read_text(encoding="utf-8"))
    for key in _INCLUDE_VARS:
        value = variables.get(key)
        if isinstance(value, str) and value.startswith("/"):
            variables[key] = str(final / "root") + value
    module.write_text(
        "# manywheel: the target's, include paths moved into this cache entry\n"
        f"build_time_vars = {pprint.pformat(variables)}\n",
        encoding="utf-8",
    )
    (directory / "site" / "sitecustomize.py").write_text(
        SITECUSTOMIZE.format(
            platform=platform,
            name=facts["sysconfigdata"],
            include=str(final / "root") + facts["include"],
        ),
        encoding="utf-8",
    )


def unpack(archive: bytes, final: Path, platform: str) -> TargetFacts:
    """Extract a FACTS_SCRIPT archive into ``final`` (atomically: a whole entry or none)."""
    unpack_entry(archive, final, "facts.json", lambda tmp: localize(tmp, platform, final))
    return TargetFacts.load(final)


def read_facts(run_python: list[str], final: Path, platform: str, where: str) -> TargetFacts:
    """The cached facts in ``final``, or run ``run_python`` (the target interpreter reading a
    script from stdin, e.g. in a container) to fill the entry."""
    if (final / "facts.json").is_file():
        return TargetFacts.load(final)
    return read_from_target(
        run_python,
        FACTS_SCRIPT,
        timeout=600,
        what=f"the target interpreter's facts (headers, sysconfig) from {where}",
        needs="A cross build needs a CPython of the same version in the target image",
        final=final,
        unpack=lambda output: unpack(output, final, platform),
    )
