"""Where manywheel puts things inside a container (paths as the container sees them)."""

from __future__ import annotations

from pathlib import PurePosixPath

PROJECT_DIR = PurePosixPath("/project")
WORK_ROOT = PurePosixPath("/tmp/manywheel")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# host directories mounted into every container of the same image (caches, never the project)
# uv's cache and the kept build environments (caching/kept_envs.py) share one mount: uv then
# hard-links the packages it installs from its cache instead of copying them (a link does not
# cross mounts; setuptools into a new environment: 0.02 s linked, 0.12 s copied)
IMAGE_CACHE = PurePosixPath("/manywheel-cache/image")
UV_CACHE = IMAGE_CACHE / "uv"
BUILD_ENVS = IMAGE_CACHE / "build-envs"
CCACHE_DIR = PurePosixPath("/manywheel-cache/ccache")
CCACHE_TOOLS = PurePosixPath("/tmp/manywheel-ccache")  # a ccache put in, and its symlinks
UV_PUT_IN = PurePosixPath("/tmp/manywheel-uv/uv")  # foreign_uv.py: for emulated images
# volumes of the container's own, named after it ("<container>-project", "<container>-work")
# and removed after it: the project and the jobs' work dirs are written there, not into the
# container's overlay layer (copying a 600-file project into the overlay took 0.5-1.3 s with
# podman and docker on our machines, into a volume 0.02 s). Named, not anonymous, so that they
# are removed also when the container was removed from outside.
WORK_VOLUMES = {"project": PROJECT_DIR, "work": WORK_ROOT}
