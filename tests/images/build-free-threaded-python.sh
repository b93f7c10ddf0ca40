#!/usr/bin/env bash
# Build a free-threaded CPython 3.13 (./configure --disable-gil) for the free-threading tests,
# from Debian's source package (no python.org download here), into a cache directory:
#
#   bash tests/images/build-free-threaded-python.sh [SOURCE.orig.tar.xz]
#   env: MANYWHEEL_FREE_THREADED_ROOT=/var/cache/manywheel-free-threaded
#
# The interpreter is $ROOT/cpython-3.13t/bin/python3.13t, whichever 3.13.Z trixie carries (a
# point release must not break the set-up; the tests do not depend on Z). About 5-10 minutes on
# 2 cores; scripts/setup-test-machine.sh runs it, so CI has it (its tests fail, not skip, under
# CI=true when it is absent). Without a tarball argument, the source comes from trixie's
# deb-src, through an apt sources file of its own (the host's apt set-up stays as it was).
set -euo pipefail
root=${MANYWHEEL_FREE_THREADED_ROOT:-/var/cache/manywheel-free-threaded}
prefix=$root/cpython-3.13t
if [ -x "$prefix/bin/python3.13t" ]; then
    echo "[free-threaded] $prefix/bin/python3.13t: cached"
    exit 0
fi
work=$(mktemp -d /var/tmp/manywheel-cpython-XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
tarball=${1:-}
if [ -z "$tarball" ]; then
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list)
    echo "deb-src $mirror trixie main" >/etc/apt/sources.list.d/manywheel-trixie-src.list
    apt-get update -q >/dev/null
    mkdir "$work/dl"
    chown _apt "$work/dl" 2>/dev/null || true  # apt downloads as _apt (else a warning)
    (cd "$work/dl" && apt-get source --download-only -q python3.13/trixie >/dev/null)
    tarball=$(ls "$work"/dl/python3.13_3.13.*.orig.tar.xz)
fi
mkdir "$work/src"
tar -C "$work/src" --strip-components=1 -xf "$tarball"
cd "$work/src"
./configure --prefix="$prefix" --disable-gil --without-ensurepip --disable-test-modules \
    >"$work/configure.log" 2>&1 || { tail -30 "$work/configure.log"; exit 1; }
make -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -30 "$work/make.log"; exit 1; }
make install >"$work/install.log" 2>&1 || { tail -30 "$work/install.log"; exit 1; }
"$prefix/bin/python3.13t" -c 'import sys, ssl; assert not sys._is_gil_enabled()'
echo "[free-threaded] built $prefix/bin/python3.13t ($("$prefix/bin/python3.13t" -VV))"
