"""A native build takes the host's glibc as its floor: the summary says so, per wheel."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from packaging.utils import parse_wheel_filename

from tests.elf import auditwheel_show
from tests.projects import make_c_project
from tests.running import manywheel

pytestmark = pytest.mark.integration

# posix_spawn_file_actions_addchdir_np is versioned GLIBC_2.29: one call lifts the wheel above
# manylinux_2_28 (cibuildwheel's default image) on any host with glibc >= 2.31; auditwheel has
# no 2_29 or 2_30 policy, so the tag it finds is the next one, manylinux_2_31
NEEDS_2_29 = """
#include <spawn.h>
int demo_chdir(posix_spawn_file_actions_t *actions) {
    return posix_spawn_file_actions_addchdir_np(actions, "/");
}
"""


def test_native_wheel_above_manylinux_2_28_is_flagged(tmp_path: Path) -> None:
    project = make_c_project(
        tmp_path,
        extra_c=NEEDS_2_29,
        manywheel_config="""
        test-command = "python -c 'import demo; assert demo.answer() == 42'"
    """,
    )
    out, report = tmp_path / "out", tmp_path / "report.json"
    proc = manywheel(
        "build",
        str(project),
        "-o",
        str(out),
        "--only",
        "cp311-manylinux_x86_64",
        "--report",
        str(report),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = out.glob("*.whl")
    platforms = {tag.platform for tag in parse_wheel_filename(wheel.name)[3]}
    assert platforms == {"manylinux_2_31_x86_64"}
    assert 'platform tag: "manylinux_2_31_x86_64"' in auditwheel_show(wheel)
    summary = " ".join(proc.stdout.split())  # rich wraps long lines
    expected = (
        f"warning cp311-manylinux_x86_64: {wheel.name} needs glibc 2.31, newer than "
        "manylinux_2_28 (the default of pypa's images), so it does not install on older "
        "systems; for wider reach use --toolchain zig or --platform podman"
    )
    assert expected in summary
    (job,) = json.loads(report.read_text())["jobs"]
    assert job["warnings"] == [expected.split(": ", 1)[1]]


def test_plan_states_the_host_floor(tmp_path: Path) -> None:
    project = make_c_project(tmp_path)
    glibc = os.confstr("CS_GNU_LIBC_VERSION").split()[1]
    tag = "manylinux_" + glibc.replace(".", "_")
    proc = manywheel("plan", str(project))
    assert proc.returncode == 0, proc.stderr
    assert all(line.startswith("cp3") for line in proc.stdout.splitlines())  # stdout unchanged
    assert (
        f"note: native builds link against this host's glibc {glibc}: their wheels may need "
        f"up to glibc {glibc} ({tag}) to install"
    ) in proc.stderr
    proc = manywheel("plan", str(project), "--json", MANYWHEEL_TOOLCHAIN="zig")
    assert json.loads(proc.stdout)["libc_floor"] == (
        "native builds use zig: wheels target manylinux_2_17 (glibc 2.17), not the host's libc"
    )
