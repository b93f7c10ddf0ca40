"""The target image's system libraries and headers, copied to the host for a cross build.

zig compiles against its own glibc stubs and nothing else; a project that links a system
library (``-lz``) needs the target's, and auditwheel, repairing on the host, must find the
target's copy to graft it into the wheel. Both come from the target image: its library dirs'
shared objects (not recursively, as the dynamic linker searches them) and its include dirs,
copied once per image ID into the cross cache next to the interpreter facts (target.py), as
a whole entry or none (a temp dir renamed into place), so parallel jobs and runs share it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from manywheel.toolchains.target_run import read_from_target, unpack_entry

# Runs in the target interpreter (under QEMU; Python 3.6 syntax), writing a tar archive to
# stdout: the library dirs' shared objects, the include trees and sysroot.json. A symlink is
# kept (made relative) when what it points at is copied too, else its target's bytes are.
SYSROOT_SCRIPT = r"""
import glob, io, json, os, re, sys, tarfile
def conf_dirs(path, seen):
    out = []
    if path in seen or not os.path.isfile(path):
        return out
    seen.add(path)
    for line in open(path, errors="replace"):
        line = line.split("#", 1)[0].strip()
        if line.startswith("include "):
            for inc in sorted(glob.glob(os.path.join("/etc", line.split(None, 1)[1]))):
                out += conf_dirs(inc, seen)
        elif line.startswith("/"):
            out.append(line)
    return out
triplets = sorted(glob.glob("/usr/lib/*-linux-gnu*"))
libs = ["/usr/local/lib64", "/usr/local/lib"] + conf_dirs("/etc/ld.so.conf", set())
libs += [d.replace("/usr", "", 1) for d in triplets] + triplets
libs += ["/lib64", "/usr/lib64", "/lib", "/usr/lib"]
incs = ["/usr/local/include"] + sorted(glob.glob("/usr/include/*-linux-gnu*")) + ["/usr/include"]
def real_dirs(dirs):
    out = []
    for d in dirs:
        r = os.path.realpath(d)
        if os.path.isdir(r) and r not in out:
            out.append(r)
    return out
libs, incs = real_dirs(libs), real_dirs(incs)
roots = [d for d in incs if not any(d.startswith(o + "/") for o in incs)]
SO = re.compile(r"\.so(\.[0-9]+)*$")
chosen = {}
for d in libs:
    for name in sorted(os.listdir(d)):
        path = os.path.join(d, name)
        if SO.search(name) and os.path.isfile(path):
            chosen.setdefault(path, None)
for root in roots:
    for top, dirs, files in os.walk(root):
        for name in files + [x for x in dirs if os.path.islink(os.path.join(top, x))]:
            chosen.setdefault(os.path.join(top, name), None)
copied = set(chosen)
def inside(target):
    return target in copied or any(target.startswith(r + "/") for r in roots)
tar = tarfile.open(fileobj=sys.stdout.buffer, mode="w|")
for path in chosen:
    real = os.path.realpath(path)
    if os.path.islink(path) and inside(real):
        info = tarfile.TarInfo("root" + path)
        info.type = tarfile.SYMTYPE
        info.linkname = os.path.relpath(real, os.path.dirname(path))
        tar.addfile(info)
    elif os.path.isfile(real):
        tar.add(real, arcname="root" + path, recursive=False)
data = json.dumps({"lib_dirs": libs, "include_dirs": incs}).encode()
info = tarfile.TarInfo("sysroot.json")
info.size = len(data)
tar.addfile(info, io.BytesIO(data))
tar.close()
"""
# the cache entries' layout: a new one when what the script or unpack() writes changes
LAYOUT = "v1"


@dataclass(frozen=True)
class Sysroot:
    """A target image's libraries and headers on the host, and the image they came from."""

    directory: Path
    image: str
    lib_dirs: tuple[str, ...]  # as in the image, in search order
    include_dirs: tuple[str, ...]

    def host(self, image_path: str) -> str:
        return str(self.directory / "root") + image_path

    @property
    def host_lib_dirs(self) -> list[str]:
        return [self.host(d) for d in self.lib_dirs]

    @property
    def host_include_dirs(self) -> list[str]:
        return [self.host(d) for d in self.include_dirs]

    @classmethod
    def load(cls, directory: Path, image: str) -> Sysroot:
        data = json.loads((directory / "sysroot.json").read_text(encoding="utf-8"))
        return cls(directory, image, tuple(data["lib_dirs"]), tuple(data["include_dirs"]))


def unpack(archive: bytes, final: Path, image: str) -> Sysroot:
    """Extract a SYSROOT_SCRIPT archive into ``final`` (atomically: a whole entry or none)."""

    def finish(tmp: Path) -> None:
        copied = Sysroot.load(tmp, image)  # a complete archive, or an error here
        for directory in (*copied.lib_dirs, *copied.include_dirs):  # an empty one too:
            Path(copied.host(directory)).mkdir(parents=True, exist_ok=True)  # zig warns else

    unpack_entry(archive, final, "sysroot.json", finish)
    return Sysroot.load(final, image)


def read_sysroot(run_python: list[str], final: Path, image: str) -> Sysroot:
    """The cached sysroot in ``final``, or run ``run_python`` (the target's interpreter in
    its image, reading a script from stdin) to fill the entry."""
    if (final / "sysroot.json").is_file():
        return Sysroot.load(final, image)
    return read_from_target(
        run_python,
        SYSROOT_SCRIPT,
        timeout=900,
        what=f"the system libraries and headers of the target image '{image}'",
        needs="A cross build compiles and repairs against them",
        final=final,
        unpack=lambda output: unpack(output, final, image),
    )


def missing_library_note(soname: str, arch: str, sysroot: Sysroot) -> str:
    """What to do when the repair finds no target copy of a library the wheel needs."""
    image, dirs = sysroot.image, ", ".join(sysroot.lib_dirs) or "none"
    return (
        f"manywheel: the wheel needs {soname}, and the target image {image} has no {arch} "
        f"{soname} to graft into it: a cross build's repair runs auditwheel on this machine "
        f"and takes {arch} libraries only from that image's library directories ({dirs}). "
        f"If it is a system library, provide it in the target image: build an image FROM "
        f"{image} with the library's -dev package installed (yum, dnf or apt-get install) "
        f"and set the manylinux-{arch}-image option to it, or use an image that has it "
        "(before-all runs on the build machine in a cross build, not in the image); or build "
        "the library from source as part of the project, statically. If the project builds "
        "it as a shared library itself, name the directory holding it in "
        "AUDITWHEEL_LD_LIBRARY_PATH (the 'environment' option)."
    )
