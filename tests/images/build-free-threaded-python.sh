#!/usr/bin/env bash
# Build a free-threaded CPython (./configure --disable-gil) for the free-threading tests, from
# Debian's source package (no python.org download here), into a cache directory:
#
#   bash tests/images/build-free-threaded-python.sh [SOURCE.orig.tar.xz]
#   env: MANYWHEEL_FREE_THREADED_ROOT=/var/cache/manywheel-free-threaded
#
# About 5-10 minutes on 2 cores; not part of scripts/test.sh or CI (the tests skip, saying so,
# when the interpreter is absent). Without a tarball argument, the source comes from trixie's
# deb-src, through an apt sources file of its own (the host's apt set-up stays as it was).
set -euo pipefail
version=3.13.5
root=${MANYWHEEL_FREE_THREADED_ROOT:-/var/cache/manywheel-free-threaded}
prefix=$root/cpython-${version}t
if [ -x "$prefix/bin/python3.13t" ]; then
    echo "[free-threaded] $prefix/bin/python3.13t: cached"
    exit 0
fi
work=$(mktemp -d /var/tmp/manywheel-cpython-XXXXXX)
trap 'rm -rf "$work"' EXIT
tarball=${1:-}
if [ -z "$tarball" ]; then
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list)
    echo "deb-src $mirror trixie main" >/etc/apt/sources.list.d/manywheel-trixie-src.list
    apt-get update -q >/dev/null
    (cd "$work" && apt-get source --download-only -q "python3.13=$version*" >/dev/null)
    tarball=$(ls "$work"/python3.13_"$version".orig.tar.xz)
fi
tar -C "$work" -xf "$tarball"
cd "$work/Python-$version"
./configure --prefix="$prefix" --disable-gil --without-ensurepip --disable-test-modules \
    >"$work/configure.log" 2>&1 || { tail -30 "$work/configure.log"; exit 1; }
make -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -30 "$work/make.log"; exit 1; }
make install >"$work/install.log" 2>&1 || { tail -30 "$work/install.log"; exit 1; }
"$prefix/bin/python3.13t" -c 'import sys, ssl; assert not sys._is_gil_enabled()'
echo "[free-threaded] built $prefix/bin/python3.13t"
