#!/usr/bin/env bash
# Make this machine ready for manywheel's test suite (idempotent, non-interactive, as root):
# podman (with runc and ulimits), docker (daemon started here), debootstrap, QEMU binfmt
# handlers, ccache (the native compiler-cache tests), Debian's PyPy, rustc, cargo and PyO3
# source crates (the PyPy and Rust tests: cargo reads /usr/share/cargo/registry offline),
# the test container images (built from Debian packages, cached) and a free-threaded
# CPython 3.13 (built from Debian's source package, cached).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[setup] %s\n' "$*"; }
export DEBIAN_FRONTEND=noninteractive

# pypy3 (PyPy 7.3 for Python 3.9) with its venv module and C headers: the native PyPy tests
packages=(podman runc docker.io debootstrap qemu-user-static binfmt-support uidmap slirp4netns
          fuse-overlayfs tmux ccache pypy3 pypy3-venv pypy3-dev rustc cargo librust-pyo3-dev
          build-essential libssl-dev libffi-dev zlib1g-dev)  # the free-threaded CPython's build
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# podman: crun fails on these hosts (hybrid cgroups); runc works. Containers also need ulimits.
conf=/etc/containers/containers.conf
if ! grep -q 'manywheel test setup' "$conf" 2>/dev/null; then
    log "configuring podman ($conf): runtime runc, default ulimits"
    mkdir -p /etc/containers
    [ -f "$conf" ] && cp "$conf" "$conf.before-manywheel"
    cat > "$conf" <<'CONF'
# manywheel test setup: crun fails on hybrid cgroups here; containers need explicit ulimits.
[containers]
default_ulimits = ["nofile=1024:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
CONF
fi

# docker: start the daemon when none answers.
if ! docker info >/dev/null 2>&1; then
    log "starting dockerd"
    setsid nohup dockerd --default-ulimit nofile=1024:20000 --default-ulimit nproc=4096:4096 \
        >/var/log/manywheel-dockerd.log 2>&1 < /dev/null &
    for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { log "dockerd did not come up:"; tail -20 /var/log/manywheel-dockerd.log; exit 1; }
fi

# QEMU user emulation for foreign arches (the aarch64, ppc64le, s390x and armv7l test images).
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
# qemu name, ELF magic and mask (as qemu's own scripts/qemu-binfmt-conf.sh)
binfmts=(
    'aarch64 \x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00 \xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
    'ppc64le \x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x15\x00 \xff\xff\xff\xff\xff\xff\xff\xfc\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\x00'
    's390x \x7fELF\x02\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x16 \xff\xff\xff\xff\xff\xff\xff\xfc\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff'
    'arm \x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x28\x00 \xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
)
for entry in "${binfmts[@]}"; do
    read -r qemu magic mask <<<"$entry"
    [ -e "/proc/sys/fs/binfmt_misc/qemu-$qemu" ] && continue
    log "registering the qemu-$qemu binfmt handler"
    update-binfmts --enable "qemu-$qemu" >/dev/null 2>&1 || true
    if [ ! -e "/proc/sys/fs/binfmt_misc/qemu-$qemu" ]; then
        # without systemd/update-binfmts: register by hand, F flag so it works inside containers
        echo ":qemu-$qemu:M::${magic}:${mask}:/usr/bin/qemu-$qemu-static:F" > /proc/sys/fs/binfmt_misc/register
    fi
done

bash tests/images/build-images.sh
bash tests/images/build-musl-image.sh  # its own script: the manylinux images' keys stay put
bash tests/images/build-cross-images.sh  # ppc64le, s390x, armv7l: for zig cross builds' tests
# the free-threading tests' interpreter (tests/integration/test_free_threaded.py fails without it
# under CI=true); 5-10 minutes the first time, then cached in /var/cache/manywheel-free-threaded
bash tests/images/build-free-threaded-python.sh

log "checking both engines run the test images"
podman run --rm manywheel-test/manylinux-x86_64:latest true
docker run --rm manywheel-test/manylinux-x86_64:latest true
podman run --rm manywheel-test/musllinux-x86_64:latest /opt/python/cp313-cp313/bin/python -c 'import ssl'
docker run --rm manywheel-test/musllinux-x86_64:latest /opt/python/cp313-cp313/bin/python -c 'import ssl'
log "ready"
