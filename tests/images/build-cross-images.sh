#!/usr/bin/env bash
# Build the test images of the arches manywheel cross-compiles for with zig and tests under
# QEMU (manywheel-test/manylinux-{ppc64le,s390x,armv7l}:latest) from Debian packages, and
# import them into podman and docker. Cached like build-images.sh: an image whose label
# manywheel.key matches this script's content is kept; a cached rootfs tarball is only imported.
# Its own file, so the other images' keys (their scripts' hashes) don't move.
#
# Minimal and quick on purpose (anything run in the foreign root runs under QEMU, and every
# fresh CI machine pays it once): Debian's CPython 3.11 as /opt/python/cp311-cp311, python3.11-venv (the test
# venv and its pip; python3-distutils is named because debootstrap does not resolve the
# virtual python3.11-distutils it needs) and libpython3.11-dev (the headers a cross build
# copies out). No compiler, no auditwheel: the wheels are built and repaired on the host
# (--toolchain zig); these images give the target's interpreter facts and run the tests only.
# They cannot do an emulated build.
#
#   bash tests/images/build-cross-images.sh [ppc64le|s390x|armv7l ...]   (default: all three)
#   env: ENGINES="podman docker", MANYWHEEL_TEST_IMAGE_CACHE=/var/cache/manywheel-test-images
set -euo pipefail
cache=${MANYWHEEL_TEST_IMAGE_CACHE:-/var/cache/manywheel-test-images}
engines=${ENGINES:-podman docker}
mkdir -p "$cache"

# The mirror the host's apt uses (so this works wherever apt does).
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)

# manylinux arch -> Debian arch, QEMU's name, podman's --arch/--variant, docker's --platform
debian_arch() { case $1 in ppc64le) echo ppc64el ;; s390x) echo s390x ;; armv7l) echo armhf ;; esac; }
qemu_name() { case $1 in armv7l) echo arm ;; *) echo "$1" ;; esac; }
podman_platform() { case $1 in armv7l) echo "--arch arm --variant v7" ;; *) echo "--arch $1" ;; esac; }
docker_platform() { case $1 in armv7l) echo "--platform linux/arm/v7" ;; *) echo "--platform linux/$1" ;; esac; }

key_for() { { cat "$0"; echo "$1"; } | sha256sum | cut -c1-16; }

work=""
cleanup() {
    if [ -n "$work" ] && [ -d "$work" ]; then
        for m in proc dev; do umount -l "$work/root/$m" 2>/dev/null || true; done
        rm -rf "$work"
    fi
}
trap cleanup EXIT

build_root() {  # arch: debootstrap's first stage, the packages unpacked here, QEMU for the rest
    local arch=$1 root=$work/root deb
    [ -e "/proc/sys/fs/binfmt_misc/qemu-$(qemu_name "$arch")" ] \
        || { echo "[images] no binfmt handler for qemu-$(qemu_name "$arch"): run scripts/setup-test-machine.sh"; return 1; }
    debootstrap --arch="$(debian_arch "$arch")" --variant=minbase --foreign \
        --include=ca-certificates,python3.11,python3.11-venv,python3-distutils,libpython3.11-dev \
        bookworm "$root" $mirror >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; return 1; }
    echo "[images] manylinux-$arch: packages fetched ($(( $(date +%s) - start )) s)"
    # Not debootstrap's second stage: that runs dpkg under QEMU, 5.5 min for ppc64le (measured).
    # Unpacked by the host's dpkg-deb into the merged-/usr layout the first stage made, the
    # packages need only what their maintainer scripts would do for this use: accounts, the
    # loader's cache, the CA bundle and the stdlib's byte code (emulated Python starts faster:
    # 'python -m venv' with pip took 36 s instead of 51 s under QEMU).
    for deb in "$root"/var/cache/apt/archives/*.deb; do
        dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C "$root"
    done
    rm -f "$root/proc" && mkdir -p "$root/proc"  # --foreign leaves a link to the host's /proc
    cp "$root/usr/share/base-passwd/passwd.master" "$root/etc/passwd"
    cp "$root/usr/share/base-passwd/group.master" "$root/etc/group"
    mkdir -p "$root/etc/ssl/certs"
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    chroot "$root" /sbin/ldconfig
    chroot "$root" /usr/bin/python3.11 -m compileall -q -j0 /usr/lib/python3.11 >/dev/null
    chroot "$root" /usr/bin/python3.11 -c 'import ensurepip, ssl, sysconfig, venv' \
        || { echo "[images] manylinux-$arch: Debian's python3.11 does not run in the new root"; return 1; }
    local bin=$root/opt/python/cp311-cp311/bin
    mkdir -p "$bin"
    ln -sf /usr/bin/python3.11 "$bin/python"
    ln -sf /usr/bin/python3.11 "$bin/python3"
    rm -rf "$root"/debootstrap "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
        "$root"/usr/share/doc "$root"/usr/share/man "$root"/root/.cache
}

import_into() {  # engine tarball key arch
    local engine=$1 tarball=$2 key=$3 arch=$4 platform
    local changes=(--change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                   --change "LABEL manywheel.key=$key" --change "CMD [\"/bin/bash\"]")
    if [ "$engine" = podman ]; then platform=$(podman_platform "$arch"); else platform=$(docker_platform "$arch"); fi
    # shellcheck disable=SC2086  # the platform words split on purpose
    "$engine" import $platform "${changes[@]}" "$tarball" "$name" >"$cache/import-cross.log" 2>&1 \
        || { echo "[images] $engine import of $name failed:"; cat "$cache/import-cross.log"; return 1; }
}

current_key() {  # engine image
    "$1" image inspect --format '{{ index .Config.Labels "manywheel.key" }}' "$2" 2>/dev/null || true
}

for arch in ${*:-ppc64le s390x armv7l}; do
    case $arch in ppc64le | s390x | armv7l) ;; *) echo "[images] unknown arch $arch (ppc64le, s390x, armv7l)"; exit 2 ;; esac
    start=$(date +%s)
    name=manywheel-test/manylinux-$arch:latest
    key=$(key_for "$arch")
    tarball=$cache/manylinux-$arch-$key.tar
    action=cached
    if [ ! -f "$tarball" ]; then
        work=$(mktemp -d /var/tmp/manywheel-image-XXXXXX)
        build_root "$arch"
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
