"""Benchmark: manywheel against cibuildwheel on the same projects, image and engine, in one run.

    python benchmarks/bench.py [--engine podman] [--image IMAGE] [--projects ...]

For each real sdist (markupsafe and msgpack by default), builds CPython 3.9-3.13 wheels with
tests, and prints the wall time of each tool and the ratio manywheel/cibuildwheel:

- cibuildwheel, cold (it has no cache: a second run costs the same)
- manywheel, cold (empty build cache), same image and engine
- manywheel, warm (unchanged project, cache filled by the cold run)
- manywheel native with --toolchain zig (no container), when the ziglang package is installed
- aarch64, cp311 (what the aarch64 test image has): a build under QEMU in the aarch64 image
  against a zig cross build on the host tested in the same image under QEMU (--toolchain zig)

The image defaults to the manylinux-layout test image that tests/images/build-images.sh
builds from Debian packages (no registry is reachable on our machines).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TESTS = {
    "markupsafe": 'python -c "import markupsafe; from markupsafe import _speedups; '
    "assert markupsafe.escape('<') == '&lt;'\"",
    "msgpack": 'python -c "import msgpack; from msgpack import _cmsgpack; '
    "assert msgpack.unpackb(msgpack.packb([1, 'a'])) == [1, 'a']\"",
}
SDIST_CACHE = Path.home() / ".cache" / "manywheel-bench" / "sdists"


@dataclass
class Row:
    project: str
    tool: str
    mode: str
    seconds: float
    wheels: int


def fetch_sdist(requirement: str) -> Path:
    SDIST_CACHE.mkdir(parents=True, exist_ok=True)
    name = requirement.split("==", maxsplit=1)[0].lower()
    found = [p for p in SDIST_CACHE.glob("*.tar.gz") if p.name.lower().startswith(name)]
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
        found = [p for p in SDIST_CACHE.glob("*.tar.gz") if p.name.lower().startswith(name)]
    return found[0]


def timed(argv: list[str], env: dict[str, str], out: Path) -> tuple[float, int]:
    start = time.monotonic()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"benchmark run failed: {' '.join(argv)}")
    return seconds, len(list(out.glob("*.whl")))


def run_project(req: str, args: argparse.Namespace, work: Path) -> list[Row]:
    sdist = fetch_sdist(req)
    project = req.split("==", maxsplit=1)[0]
    test = TESTS[project]
    build = " ".join(f"{py}-manylinux_x86_64" for py in args.pythons.split())
    rows: list[Row] = []
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CIBW_", "MANYWHEEL_"))}

    cibw_out = work / f"{project}-cibw"
    cibw_env = {
        **base,
        "CIBW_BUILD": build,
        "CIBW_CONTAINER_ENGINE": args.engine,
        "CIBW_MANYLINUX_X86_64_IMAGE": args.image,
        "CIBW_TEST_COMMAND": test,
        "CIBW_BUILD_VERBOSITY": "0",
    }
    if not args.skip_cibuildwheel:
        # the project's own [tool.cibuildwheel] may use groups this version rejects; both
        # tools run with the same settings from the environment only
        empty = work / "empty.toml"
        empty.write_text("")
        secs, n = timed(
            [
                sys.executable,
                "-m",
                "cibuildwheel",
                "--config-file",
                str(empty),
                "--platform",
                "linux",
                "--output-dir",
                str(cibw_out),
                str(sdist),
            ],
            cibw_env,
            cibw_out,
        )
        rows.append(Row(project, "cibuildwheel", "cold", secs, n))

    cache = work / f"{project}-cache"
    mw_env = {
        **base,
        "MANYWHEEL_BUILD": build,
        "MANYWHEEL_MANYLINUX_X86_64_IMAGE": args.image,
        "MANYWHEEL_TEST_COMMAND": test,
        "MANYWHEEL_CACHE_DIR": str(cache),
    }
    for mode in ("cold", "warm"):
        out = work / f"{project}-mw-{mode}"
        secs, n = timed(
            [
                sys.executable,
                "-m",
                "manywheel",
                "build",
                str(sdist),
                "-q",
                "--platform",
                args.engine,
                "-o",
                str(out),
            ],
            mw_env,
            out,
        )
        rows.append(Row(project, f"manywheel ({args.engine})", mode, secs, n))

    if not args.skip_zig and _has_ziglang():
        out = work / f"{project}-zig"
        zig_env = {**mw_env, "MANYWHEEL_CACHE_DIR": str(work / f"{project}-zig-cache")}
        secs, n = timed(
            [
                sys.executable,
                "-m",
                "manywheel",
                "build",
                str(sdist),
                "-q",
                "--platform",
                "native",
                "--toolchain",
                "zig",
                "-o",
                str(out),
            ],
            zig_env,
            out,
        )
        rows.append(Row(project, "manywheel (native, zig)", "cold", secs, n))
    return rows


def run_aarch64(req: str, args: argparse.Namespace, work: Path) -> list[Row]:
    """Same project, same image, one run each: QEMU build+test vs zig cross + QEMU test."""
    sdist = fetch_sdist(req)
    project = req.split("==", maxsplit=1)[0]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CIBW_", "MANYWHEEL_"))}
    env = {
        **base,
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
        secs, n = timed(argv, env, out)
        rows.append(Row(f"{project} (aarch64)", f"manywheel ({args.engine})", mode, secs, n))
    return rows


def _has_ziglang() -> bool:
    try:
        import ziglang  # noqa: F401
    except ImportError:
        return False
    return True


def table(rows: list[Row]) -> str:
    lines = [
        "| project | tool | run | wheels | wall time | vs cibuildwheel (aarch64: vs QEMU build) |",
        "| --- | --- | --- | --- | --- | --- |",
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
            f"| {r.project} | {r.tool} | {r.mode} | {r.wheels} | {r.seconds:.1f} s | {ratio} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="podman", choices=["podman", "docker"])
    parser.add_argument("--image", default="localhost/manywheel-test/manylinux-x86_64:latest")
    parser.add_argument("--projects", nargs="+", default=["markupsafe==3.0.3", "msgpack==1.1.1"])
    parser.add_argument("--pythons", default="cp39 cp310 cp311 cp312 cp313")
    parser.add_argument("--skip-cibuildwheel", action="store_true")
    parser.add_argument("--skip-zig", action="store_true")
    parser.add_argument(
        "--aarch64-image", default="localhost/manywheel-test/manylinux-aarch64:latest"
    )
    parser.add_argument("--skip-aarch64", action="store_true")
    args = parser.parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="manywheel-bench-") as tmp:
        for req in args.projects:
            rows += run_project(req, args, Path(tmp))
            if not args.skip_aarch64 and _has_ziglang():
                rows += run_aarch64(req, args, Path(tmp))
    cpus = os.cpu_count()
    print(
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {cpus} cores, "
        f"engine {args.engine}, image {args.image}"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
