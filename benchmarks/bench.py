"""Benchmark: manywheel against cibuildwheel on the same projects, image and engine, in one run.

    python benchmarks/bench.py [--engine podman] [--image IMAGE] [--projects ...]

For each project (by default the markupsafe sdist, one C file, and the ujson, lz4 and brotli
sdists, 12, 16 and 37 translation units, unpacked; msgpack, pycryptodome (137 C files, one
abi3 wheel) and a two-file C fixture on request), builds CPython 3.10-3.13 wheels, each
tested, and prints the wall time and peak memory of each run and the ratio
manywheel/cibuildwheel:

- cibuildwheel (the installed version, newest by default), cold; it has no cache, so its
  warm and edit runs cost what its cold run does: that run is the reference for all three
- manywheel, cold: empty wheel, compiler and dependency caches, same image and engine
- manywheel, warm: the unchanged project again
- manywheel, edit: one C file of the project changed (a function appended), the caches kept
- manywheel native (host compiler; and with --toolchain zig when ziglang is installed), cold
- aarch64, cp311 (what the aarch64 test image has), for --aarch64-projects (markupsafe and
  lz4; the image has no C++ compiler for ujson): a build under QEMU in the aarch64 image
  against a zig cross build on the host tested in the same image under QEMU (--toolchain zig)

Peak memory is the largest resident set of any process of the tool's own process tree (the
wait4 rusage of the run); processes inside containers belong to the engine, not to it.
The image defaults to the manylinux-layout test image that tests/images/build-images.sh
builds from Debian packages (no registry is reachable on our machines).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.projects import make_two_file_project  # the tests' own fixture

TESTS = {
    "markupsafe": 'python -c "import markupsafe; from markupsafe import _speedups; '
    "assert markupsafe.escape('<') == '&lt;'\"",
    "msgpack": 'python -c "import msgpack; from msgpack import _cmsgpack; '
    "assert msgpack.unpackb(msgpack.packb([1, 'a'])) == [1, 'a']\"",
    "ujson": "python -c \"import ujson; assert ujson.loads(ujson.dumps([1, 'a', 1.5])) "
    "== [1, 'a', 1.5]\"",
    "lz4": "python -c \"import lz4.frame as f; assert f.decompress(f.compress(b'x' * 99)) "
    "== b'x' * 99\"",
    "brotli": "python -c \"import brotli; assert brotli.decompress(brotli.compress(b'x' * 99)) "
    "== b'x' * 99\"",
    "twofile": 'python -c "import two; assert two.answer() == 42"',
    "pycryptodome": 'python -c "from Crypto.Hash import SHA256; '
    "assert SHA256.new(b'abc').hexdigest().startswith('ba7816bf')\"",
}
# the C file the edit scenario changes, per project
EDITED = {
    "markupsafe": "src/markupsafe/_speedups.c",
    "msgpack": "msgpack/_cmsgpack.c",
    "ujson": "src/ujson/decode.c",
    "lz4": "lz4/block/_block.c",
    "brotli": "python/_brotli.c",
    "twofile": "src/helper.c",
    "pycryptodome": "src/SHA256.c",
}
# abi3 wheels' audit (abi3audit) is off for both tools: cibuildwheel installs it with its own
# pins, which the package index of our machines does not all have (it affects abi3 projects
# only, pycryptodome here; both tools would pay for it alike)
NO_AUDIT = {
    "cibuildwheel": {"CIBW_AUDIT_COMMAND": ""},
    "manywheel": {"MANYWHEEL_AUDIT_COMMAND": ""},
}
SDIST_CACHE = Path.home() / ".cache" / "manywheel-bench" / "sdists"


@dataclass
class Row:
    project: str
    tool: str
    mode: str
    seconds: float
    wheels: int
    peak_mib: float


def fetch_sdist(requirement: str) -> Path:
    SDIST_CACHE.mkdir(parents=True, exist_ok=True)
    name, _, version = requirement.lower().partition("==")
    prefix = f"{name}-{version}" if version else name  # the version asked for, not another

    def cached() -> list[Path]:
        return [p for p in SDIST_CACHE.glob("*.tar.gz") if p.name.lower().startswith(prefix)]

    found = cached()
    if not found:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                "--dest",
                str(SDIST_CACHE),
                requirement,
            ],
            check=True,
        )
        found = cached()
    return found[0]


def project_dir(spec: str, work: Path) -> tuple[str, Path]:
    """(name, a directory to build): an unpacked sdist, or the two-file fixture."""
    if spec == "twofile":
        return spec, make_two_file_project(work / "src")
    sdist = fetch_sdist(spec)
    dest = work / "src"
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        tar.extractall(dest, filter="data")
    return spec.split("==", maxsplit=1)[0], dest / top


def edit(project: Path, name: str) -> None:
    """The one-file edit: a new function at the end of one C file (changes its object)."""
    with (project / EDITED[name]).open("a", encoding="utf-8") as fh:
        fh.write("\nint manywheel_bench_edit(void) { return 1; }\n")


def timed(
    argv: list[str], env: dict[str, str], out: Path, cwd: Path | None = None
) -> tuple[float, int, float]:
    """(seconds, wheels written, peak RSS in MiB of the largest process of the run)."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - start
        if proc.returncode != 0:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-6000:])
            raise SystemExit(f"benchmark run failed: {' '.join(argv)}")
    return seconds, len(list(out.glob("*.whl"))), usage.ru_maxrss / 1024


def cibuildwheel(name: str, project: Path, args: argparse.Namespace, work: Path, build: str) -> Row:
    out = work / f"{name}-cibw"
    env = {
        **_base_env(),
        "CIBW_BUILD": build,
        "CIBW_CONTAINER_ENGINE": args.engine,
        "CIBW_MANYLINUX_X86_64_IMAGE": args.image,
        "CIBW_TEST_COMMAND": TESTS[name],
        "CIBW_BUILD_VERBOSITY": "0",
        **NO_AUDIT["cibuildwheel"],
    }
    # the project's own [tool.cibuildwheel] may hold settings for other platforms or
    # versions: both tools run with the same settings from the environment only
    empty = work / "empty.toml"
    empty.write_text("")
    argv = [sys.executable, "-m", "cibuildwheel", "--config-file", str(empty)]
    argv += ["--platform", "linux", "--output-dir", str(out), str(project)]
    # (it wants the project inside its working directory)
    return Row(name, "cibuildwheel", "cold", *timed(argv, env, out, cwd=work))


def manywheel(
    name: str, project: Path, args: argparse.Namespace, work: Path, build: str
) -> list[Row]:
    caches = work / f"{name}-caches"  # wheels, ccache and uv's cache, all empty at first
    env = {
        **_base_env(),
        "MANYWHEEL_BUILD": build,
        "MANYWHEEL_MANYLINUX_X86_64_IMAGE": args.image,
        "MANYWHEEL_TEST_COMMAND": TESTS[name],
        "MANYWHEEL_CACHE_DIR": str(caches / "wheels"),
        **NO_AUDIT["manywheel"],
    }
    rows = []
    for mode in ("cold", "warm", "edit"):
        if mode == "edit":
            edit(project, name)
        out = work / f"{name}-mw-{mode}"
        argv = [sys.executable, "-m", "manywheel", "build", str(project), "-q"]
        argv += ["--platform", args.engine, "-o", str(out)]
        rows.append(Row(name, f"manywheel ({args.engine})", mode, *timed(argv, env, out)))
    toolchains = ["default"] if args.skip_zig or not _has_ziglang() else ["default", "zig"]
    for toolchain in toolchains if not args.skip_native else []:
        out = work / f"{name}-native-{toolchain}"
        native_env = {**env, "MANYWHEEL_CACHE_DIR": str(work / f"{out.name}-caches" / "wheels")}
        argv = [sys.executable, "-m", "manywheel", "build", str(project), "-q"]
        argv += ["--platform", "native", "--toolchain", toolchain, "-o", str(out)]
        label = "host cc" if toolchain == "default" else "zig"
        tool = f"manywheel (native, {label})"
        rows.append(Row(name, tool, "cold", *timed(argv, native_env, out)))
    return rows


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("CIBW_", "MANYWHEEL_"))}


def _has_ziglang() -> bool:
    try:
        import ziglang  # noqa: F401
    except ImportError:
        return False
    return True


def run_project(spec: str, args: argparse.Namespace, work: Path) -> list[Row]:
    work.mkdir(parents=True)
    name, project = project_dir(spec, work)
    build = " ".join(f"{py}-manylinux_x86_64" for py in args.pythons.split())
    rows = []
    if not args.skip_cibuildwheel:
        pristine = work / "cibw-src" / project.name  # cibuildwheel never sees the edit
        shutil.copytree(project, pristine)
        rows.append(cibuildwheel(name, pristine, args, work, build))
    return rows + manywheel(name, project, args, work, build)


def run_aarch64(req: str, args: argparse.Namespace, work: Path) -> list[Row]:
    """Same project, same image, one run each: QEMU build+test vs zig cross + QEMU test."""
    sdist = fetch_sdist(req)
    project = req.split("==", maxsplit=1)[0]
    env = {
        **_base_env(),
        "MANYWHEEL_BUILD": "cp311-manylinux_aarch64",
        "MANYWHEEL_ARCHS": "aarch64",
        "MANYWHEEL_MANYLINUX_AARCH64_IMAGE": args.aarch64_image,
        "MANYWHEEL_TEST_COMMAND": TESTS[project],
    }
    rows = []
    for mode, toolchain in (("aarch64, QEMU build", "default"), ("aarch64, zig cross", "zig")):
        out = work / f"{project}-aarch64-{toolchain}"
        argv = [sys.executable, "-m", "manywheel", "build", str(sdist), "-q", "--no-cache"]
        argv += ["--platform", args.engine, "--toolchain", toolchain, "-o", str(out)]
        name = f"{project} (aarch64)"
        rows.append(Row(name, f"manywheel ({args.engine})", mode, *timed(argv, env, out)))
    return rows


def table(rows: list[Row]) -> str:
    lines = [
        "| project | tool | run | wheels | wall time | peak RSS "
        "| vs cibuildwheel (aarch64: vs QEMU build) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    # x86_64: against cibuildwheel; aarch64: against the build under QEMU
    reference = {
        r.project: r.seconds
        for r in rows
        if r.tool == "cibuildwheel" or r.mode == "aarch64, QEMU build"
    }
    for r in rows:
        ratio = f"{r.seconds / reference[r.project]:.2f}x" if r.project in reference else "-"
        lines.append(
            f"| {r.project} | {r.tool} | {r.mode} | {r.wheels} | {r.seconds:.1f} s "
            f"| {r.peak_mib:.0f} MiB | {ratio} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="podman", choices=["podman", "docker"])
    parser.add_argument("--image", default="localhost/manywheel-test/manylinux-x86_64:latest")
    parser.add_argument(
        "--projects",
        nargs="+",
        default=["markupsafe==3.0.4", "ujson==6.1.0", "lz4==4.4.5", "brotli==1.2.1"],
    )
    parser.add_argument(
        "--aarch64-projects", nargs="*", default=["markupsafe==3.0.4", "lz4==4.4.5"]
    )
    parser.add_argument("--pythons", default="cp310 cp311 cp312 cp313")
    parser.add_argument("--skip-cibuildwheel", action="store_true")
    parser.add_argument("--skip-native", action="store_true")
    parser.add_argument("--skip-zig", action="store_true")
    parser.add_argument(
        "--aarch64-image", default="localhost/manywheel-test/manylinux-aarch64:latest"
    )
    parser.add_argument("--skip-aarch64", action="store_true")
    args = parser.parse_args()
    rows: list[Row] = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="manywheel-bench-") as tmp:
        for spec in args.projects:
            rows += run_project(spec, args, Path(tmp) / spec.split("==")[0])
            if spec in args.aarch64_projects and not args.skip_aarch64 and _has_ziglang():
                rows += run_aarch64(spec, args, Path(tmp) / "aarch64")
            print(table(rows), file=sys.stderr, flush=True)  # so far, should a later run fail
    cibw = importlib.metadata.version("cibuildwheel")
    print(
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores "
        f"(load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end), "
        f"engine {args.engine}, image {args.image}, cibuildwheel {cibw}, "
        f"{args.pythons.split()[0]}-{args.pythons.split()[-1]}, each wheel tested"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
