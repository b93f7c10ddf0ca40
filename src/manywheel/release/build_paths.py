"""Keeping the job's work dir out of a wheel: every job builds in a fresh directory of its own,
and a path compiled into a binary (debug info, panic locations, ``__FILE__``) would make two
builds of one commit differ.

C and C++: ``-ffile-prefix-map`` in CPPFLAGS, which setuptools adds to its compile and link
commands (and meson to its arguments). Never in CFLAGS: setuptools takes a CFLAGS variable
*instead of* the interpreter's own flags, and every extension would be built without -O3 and
-DNDEBUG (as it was until this was found).

Rust: ``--remap-path-prefix`` for the work dir and for cargo's home (whose registry sources
are compiled from ``$CARGO_HOME/registry/src``). Given in ``CARGO_BUILD_RUSTFLAGS``, the
variable form of ``build.rustflags``, which cargo *joins* with the ``build.rustflags`` of the
project's and the user's config files; RUSTFLAGS or CARGO_ENCODED_RUSTFLAGS would replace
them (a project's ``--cfg`` or ``target-feature`` lost). Where the user set one of those,
cargo reads no other, so the flags go there. A project that sets
``target.<triple>.rustflags`` makes cargo ignore ``build.rustflags``: its build is unchanged,
and its paths stay as they are.

With a rustc wrapper set (``RUSTC_WRAPPER=sccache``) no flag is added: the remap names the
job's own work dir, and sccache keys on rustc's arguments, so every crate would miss the cache
(measured: 19 of 21 crates of a PyO3 build hit from another work dir without the flags, none
with them). Such builds are byte-identical only where no path is compiled in (the release
profile's default: no debug info).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath

RUSTC_WRAPPERS = ("RUSTC_WRAPPER", "CARGO_BUILD_RUSTC_WRAPPER")


def _value(name: str, env: Mapping[str, str], base: Mapping[str, str]) -> str | None:
    """The job's value (the environment option) over the executor's."""
    return env[name] if name in env else base.get(name)


def c_remap(env: Mapping[str, str], base: Mapping[str, str], workdir: PurePosixPath) -> str:
    """CPPFLAGS with the work dir mapped to ``.``."""
    remap = f"-ffile-prefix-map={workdir}=."
    return f"{remap} {_value('CPPFLAGS', env, base) or ''}".strip()


def cargo_home(env: Mapping[str, str], base: Mapping[str, str]) -> str:
    return _value("CARGO_HOME", env, base) or f"{base.get('HOME') or '/root'}/.cargo"


def rust_remap(
    env: Mapping[str, str], base: Mapping[str, str], workdir: PurePosixPath
) -> dict[str, str]:
    """The rustflags variable to set, with the work dir mapped to ``.`` and cargo's home to
    ``/cargo`` (rustc applies the last prefix that matches)."""
    if any(_value(name, env, base) for name in RUSTC_WRAPPERS):
        return {}
    pairs = [(cargo_home(env, base), "/cargo"), (str(workdir), ".")]
    flags = [f"--remap-path-prefix={src}={dst}" for src, dst in pairs]
    encoded = _value("CARGO_ENCODED_RUSTFLAGS", env, base)
    if encoded is not None:  # set, even empty: cargo reads nothing else
        return {"CARGO_ENCODED_RUSTFLAGS": "\x1f".join(filter(None, [encoded, *flags]))}
    if any(c.isspace() for src, _ in pairs for c in src):
        return {}  # whitespace separates the other variables' flags: no way to write this path
    given = _value("RUSTFLAGS", env, base)
    name = "RUSTFLAGS" if given is not None else "CARGO_BUILD_RUSTFLAGS"
    given = _value(name, env, base)
    return {name: " ".join(filter(None, [given, *flags]))}
