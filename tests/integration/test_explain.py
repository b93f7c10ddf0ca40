"""manywheel explain on wheels that break policies on purpose, built for real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.projects import make_c_project, make_no_libc_project
from tests.running import manywheel

pytestmark = pytest.mark.integration

SQLITE = """
#include <sqlite3.h>
const char *demo_sqlite_version(void) { return sqlite3_libversion(); }
"""
MEMFD = """
#define _GNU_SOURCE
#include <sys/mman.h>
int demo_memfd(void) { return memfd_create("demo", 0); }
"""


def unrepaired_wheel(tmp_path: Path, extra_c: str, libraries: tuple[str, ...] = ()) -> Path:
    project = make_c_project(
        tmp_path,
        extra_c=extra_c,
        libraries=libraries,
        manywheel_config='repair-wheel-command = ""\n',
    )
    out = tmp_path / "out"
    proc = manywheel("build", str(project), "-o", str(out), "--only", "cp312-manylinux_x86_64")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("*.whl")
    assert wheel.name.endswith("linux_x86_64.whl")
    return wheel


def test_library_outside_the_allow_list(tmp_path: Path) -> None:
    wheel = unrepaired_wheel(tmp_path, SQLITE, ("sqlite3",))
    proc = manywheel("explain", str(wheel))
    assert proc.returncode == 0, proc.stderr
    assert "links libsqlite3.so.0" in proc.stdout
    assert "which is not in the policy's allow-list" in proc.stdout
    assert "fix: vendor it into the wheel with auditwheel repair" in proc.stdout
    # this host's libsqlite3 itself needs glibc 2.34: vendored, the wheel is manylinux_2_34
    assert "(in libsqlite3.so.0) from libc.so.6 needs GLIBC 2.34" in proc.stdout
    assert "manylinux_2_34_x86_64: after repair" in proc.stdout
    data = json.loads(manywheel("explain", "--json", str(wheel)).stdout)
    assert data["best_as_built"] == "linux_x86_64"
    assert data["best_after_repair"] == "manylinux_2_34_x86_64"
    verdict = next(v for v in data["verdicts"] if v["policy"] == "manylinux_2_17_x86_64")
    assert verdict["ok_as_built"] is False
    assert verdict["ok_after_repair"] is False
    assert any(
        v["kind"] == "library" and "libsqlite3.so.0" in v["detail"] for v in verdict["violations"]
    )


def test_symbol_from_a_newer_glibc(tmp_path: Path) -> None:
    wheel = unrepaired_wheel(tmp_path, MEMFD)
    proc = manywheel("explain", str(wheel))
    assert proc.returncode == 0, proc.stderr
    assert "manylinux_2_17_x86_64 (manylinux2014_x86_64): no" in proc.stdout
    assert (
        "memfd_create@GLIBC_2.27 from libc.so.6 needs GLIBC 2.27, newer than the 2.17"
        in proc.stdout
    )
    assert "--toolchain zig" in proc.stdout
    assert "manylinux_2_28_x86_64: yes" in proc.stdout
    # each policy's fix names what reaches it: pypa's newest image not newer than the policy,
    # or, for the policies older than every image, that none reaches them
    data = json.loads(manywheel("explain", "--json", str(wheel)).stdout)
    fixes = {
        v["policy"]: {x["fix"] for x in v["violations"] if x["kind"] == "symbol"}
        for v in data["verdicts"]
    }
    assert fixes["manylinux_2_17_x86_64"] == {
        "build against an older glibc: in a manylinux2014 image (--platform podman or docker; "
        'manylinux-x86_64-image = "manylinux2014"), or without a container with --toolchain zig'
    }
    assert fixes["manylinux_2_5_x86_64"] == {
        "pypa has no manylinux image for x86_64 with a glibc that old (the oldest is "
        "manylinux2014, glibc 2.17): aim at manylinux2014 or a newer policy"
    }


def test_failed_repair_in_build_prints_the_explanation(tmp_path: Path) -> None:
    project = make_c_project(
        tmp_path,
        extra_c=MEMFD,
        manywheel_config="""
        repair-wheel-command = "auditwheel repair --plat manylinux2014_x86_64 -w {dest_dir} {wheel}"
    """,
    )
    proc = manywheel(
        "build", str(project), "-o", str(tmp_path / "out"), "--only", "cp312-manylinux_x86_64"
    )
    assert proc.returncode == 1
    assert "failed in step repair" in proc.stdout
    assert "Why the wheel cannot be repaired:" in proc.stdout
    assert "memfd_create@GLIBC_2.27" in proc.stdout


def test_explain_errors(tmp_path: Path) -> None:
    proc = manywheel("explain", str(tmp_path / "nope.whl"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("manywheel: error: ")
    assert "does not exist" in proc.stderr


def test_a_wheel_that_links_no_c_library_is_explained_as_glibcs(tmp_path: Path) -> None:
    """auditwheel alone cannot tell its libc ("couldn't detect libc for python extension"):
    explain reads it as glibc's and says why."""
    project = make_no_libc_project(tmp_path, manywheel_config='repair-wheel-command = ""\n')
    out = tmp_path / "out"
    proc = manywheel("build", str(project), "-o", str(out), "--only", "cp312-manylinux_x86_64")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("*.whl")
    assert wheel.name == "pure-0.1.0-cp38-abi3-linux_x86_64.whl"
    proc = manywheel("explain", str(wheel))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[2:5] == [
        "  as built it satisfies: manylinux_2_5_x86_64 and newer policies",
        "  after auditwheel repair: manylinux_2_5_x86_64 and newer policies",
        "  links no C library: read as glibc's (a musl build is as good); auditwheel repair "
        "needs --plat to tell, as manywheel build gives it",
    ]
    data = json.loads(manywheel("explain", "--json", str(wheel)).stdout)
    assert data["links_no_libc"] is True
