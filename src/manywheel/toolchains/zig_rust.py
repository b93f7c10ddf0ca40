"""Rust extensions under --toolchain zig: cargo links with zig, against the policy's glibc.

rustc links through a C compiler, ``cc`` from PATH unless cargo is told otherwise; the host's
``cc`` links against the host's glibc (2.36 here: a manylinux_2_34 wheel). So:

- maturin, which drives the build itself, is asked for its own zig support
  (``MATURIN_PEP517_ARGS="--zig --compatibility manylinux_2_17"``, after the user's own
  arguments) and finds ``zig`` on PATH: a link to the ziglang package's binary. Offline, this
  needs nothing but that package (measured: a PyO3 abi3 wheel auditwheel calls
  manylinux_2_17).
- Every other cargo-driven build (setuptools-rust) links with manywheel's zig ``cc`` wrapper,
  named as the host target's linker (``CARGO_TARGET_<TRIPLE>_LINKER``).

Only for the host's own arch: a Rust cross build would also need the target's standard library
(``rustup target add``), which manywheel does not install.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from pathlib import Path

# manylinux arch -> Rust's target triple (the host's, when it is that arch)
RUST_TRIPLES = {
    "x86_64": "x86_64-unknown-linux-gnu",
    "aarch64": "aarch64-unknown-linux-gnu",
    "i686": "i686-unknown-linux-gnu",
    "ppc64le": "powerpc64le-unknown-linux-gnu",
    "s390x": "s390x-unknown-linux-gnu",
    "armv7l": "armv7-unknown-linux-gnueabihf",
}


def linker_variable(arch: str) -> str:
    """'x86_64' -> 'CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER'."""
    return f"CARGO_TARGET_{RUST_TRIPLES[arch].upper().replace('-', '_')}_LINKER"


def rust_zig_env(
    directory: Path, arch: str, *, policy: str, zig: str, cc: str, base: Mapping[str, str]
) -> dict[str, str]:
    """The variables that make maturin and cargo link with zig (``cc``: the zig cc wrapper),
    for a build of the host's arch; nothing for another arch."""
    if arch != platform.machine() or arch not in RUST_TRIPLES:
        return {}
    bin_dir = directory / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    link = bin_dir / "zig"
    if not link.is_symlink():
        link.symlink_to(zig)
    maturin = " ".join(filter(None, [base.get("MATURIN_PEP517_ARGS"), "--zig"]))
    return {
        "MATURIN_PEP517_ARGS": f"{maturin} --compatibility {policy}",
        linker_variable(arch): cc,
        "PATH": ":".join(filter(None, [str(bin_dir), base.get("PATH")])),
    }
