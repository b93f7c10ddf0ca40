"""The generated GitHub workflow: runners per arch, pinned actions, cache, least privilege."""

from __future__ import annotations

import re
from importlib import metadata
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement

from manywheel import __version__
from manywheel.ci import WorkflowOptions
from manywheel.ci.actions import pins
from manywheel.ci.github import emulated, runner, workflow
from manywheel.toolchains.zig import ZIG_REQUIREMENT

USES = re.compile(r"^\s*(?:- )?uses: (\S+)@(\S+)(.*)$")


def generate(archs: str = "x86_64", shards: int = 1, publish: str = "trusted") -> str:
    return workflow(WorkflowOptions(tuple(archs.split()), shards, publish))  # type: ignore[arg-type]


def steps(doc: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return list(doc["jobs"][job]["steps"])


def step_using(doc: dict[str, Any], job: str, action: str) -> dict[str, Any]:
    return next(s for s in steps(doc, job) if s.get("uses", "").startswith(action + "@"))


@pytest.mark.parametrize(
    ("arch", "expected"),
    [
        ("x86_64", "ubuntu-latest"),
        ("i686", "ubuntu-latest"),
        ("aarch64", "ubuntu-24.04-arm"),
        ("ppc64le", "ubuntu-latest"),
        ("s390x", "ubuntu-latest"),
        ("armv7l", "ubuntu-latest"),
        ("riscv64", "ubuntu-latest"),
    ],
)
def test_runner_per_arch(arch: str, expected: str) -> None:
    assert runner(arch) == expected


def test_only_arches_without_a_native_runner_are_emulated() -> None:
    archs = ("x86_64", "i686", "aarch64", "ppc64le", "s390x", "armv7l", "riscv64")
    assert emulated(archs) == ["ppc64le", "s390x", "armv7l", "riscv64"]


def test_matrix_entries_run_on_their_arch_runner() -> None:
    doc = yaml.safe_load(generate("x86_64 aarch64 s390x", shards=2))
    build = doc["jobs"]["build"]
    assert build["runs-on"] == "${{ matrix.runner }}"
    got = {(e["arch"], e["shard"]): e["runner"] for e in build["strategy"]["matrix"]["include"]}
    assert got == {
        ("x86_64", 1): "ubuntu-latest",
        ("x86_64", 2): "ubuntu-latest",
        ("aarch64", 1): "ubuntu-24.04-arm",
        ("aarch64", 2): "ubuntu-24.04-arm",
        ("s390x", 1): "ubuntu-latest",
        ("s390x", 2): "ubuntu-latest",
    }


@pytest.mark.parametrize("archs", ["x86_64", "x86_64 aarch64", "aarch64", "x86_64 i686 aarch64"])
def test_no_qemu_step_when_every_arch_has_a_native_runner(archs: str) -> None:
    text = generate(archs)
    assert "setup-qemu-action" not in text
    assert "QEMU" not in text


def test_qemu_only_for_the_emulated_arches() -> None:
    doc = yaml.safe_load(generate("x86_64 aarch64 ppc64le s390x"))
    qemu = step_using(doc, "build", "docker/setup-qemu-action")
    assert qemu["if"] == "matrix.arch == 'ppc64le' || matrix.arch == 's390x'"


def test_ppc64le_s390x_armv7l_are_cross_built_by_zig_on_x86_64_runners() -> None:
    doc = yaml.safe_load(generate("x86_64 aarch64 ppc64le s390x armv7l riscv64"))
    matrix = doc["jobs"]["build"]["strategy"]["matrix"]["include"]
    got = {e["arch"]: (e["runner"], e["toolchain"]) for e in matrix}
    assert got == {
        "x86_64": ("ubuntu-latest", "default"),
        "aarch64": ("ubuntu-24.04-arm", "default"),  # a native arm runner beats cross + QEMU
        "ppc64le": ("ubuntu-latest", "zig"),
        "s390x": ("ubuntu-latest", "zig"),
        "armv7l": ("ubuntu-latest", "zig"),
        "riscv64": ("ubuntu-latest", "default"),  # glibc 2.39 images: built under QEMU
    }
    build = next(s for s in steps(doc, "build") if s.get("name") == "Build wheels")
    assert build["env"]["TOOLCHAIN"] == "${{ matrix.toolchain }}"
    assert '--toolchain "$TOOLCHAIN"' in build["run"]
    # the tests of cross-built wheels still run in the target image under QEMU
    qemu = step_using(doc, "build", "docker/setup-qemu-action")
    assert "matrix.arch == 'armv7l'" in qemu["if"]
    assert "matrix.arch == 's390x'" in qemu["if"]


def test_cross_jobs_install_zig_and_the_host_cpythons_of_the_target_versions() -> None:
    doc = yaml.safe_load(generate("x86_64 s390x armv7l"))
    (zig,) = [s for s in steps(doc, "build") if "Install zig" in s.get("name", "")]
    assert zig["if"] == "matrix.toolchain == 'zig'"
    install, pythons = zig["run"].split(" && ")
    assert install == f"python -m pip install '{ZIG_REQUIREMENT}'"
    # the versions of the default images' CPythons (manylinux_2_28, manylinux_2_31)
    assert pythons.startswith("python -m uv python install 3.9 3.10 3.11 3.12 3.13 3.14")
    steps_order = [s.get("name", s.get("uses", "")) for s in steps(doc, "build")]
    assert steps_order.index(zig["name"]) < steps_order.index("Build wheels")


@pytest.mark.parametrize("archs", ["x86_64", "x86_64 aarch64", "x86_64 i686 riscv64"])
def test_no_zig_step_without_a_cross_arch(archs: str) -> None:
    assert "ziglang" not in generate(archs)


def test_zig_requirement_is_the_zig_extra_of_manywheel() -> None:
    requirements = [Requirement(r) for r in metadata.requires("manywheel") or []]
    zig = [r for r in requirements if r.marker and str(r.marker) == 'extra == "zig"']
    assert [str(r.name) + str(r.specifier) for r in zig] == [ZIG_REQUIREMENT]


@pytest.mark.parametrize("publish", ["trusted", "token", "none"])
@pytest.mark.parametrize("archs", ["x86_64", "x86_64 aarch64 ppc64le"])
def test_every_action_is_pinned_to_a_table_sha_with_its_version(publish: str, archs: str) -> None:
    table = pins()
    lines = [m for m in map(USES.match, generate(archs, 3, publish).splitlines()) if m]
    assert lines
    for match in lines:
        action, ref, rest = match.groups()
        pin = table["/".join(action.split("/")[:2])]
        assert re.fullmatch(r"[0-9a-f]{40}", ref), match.group(0)
        assert ref == pin.sha
        assert rest == f" # {pin.version}"


def test_pin_table_has_full_shas_and_versions() -> None:
    table = pins()
    assert set(table) >= {
        "actions/checkout",
        "actions/setup-python",
        "actions/upload-artifact",
        "actions/download-artifact",
        "actions/cache",
        "docker/setup-qemu-action",
        "pypa/gh-action-pypi-publish",
    }
    for name, pin in table.items():
        assert pin.repository == name
        assert re.fullmatch(r"[0-9a-f]{40}", pin.sha), name
        assert re.fullmatch(r"v\d+\.\d+\.\d+", pin.version), name


def test_checkouts_do_not_persist_credentials() -> None:
    doc = yaml.safe_load(generate("x86_64 aarch64", publish="token"))
    checkouts = [
        s
        for job in doc["jobs"]
        for s in steps(doc, job)
        if s.get("uses", "").startswith("actions/checkout@")
    ]
    assert len(checkouts) == 2
    assert all(s["with"]["persist-credentials"] is False for s in checkouts)


def test_least_privilege_permissions() -> None:
    doc = yaml.safe_load(generate(publish="trusted"))
    assert doc["permissions"] == {"contents": "read"}
    assert doc["jobs"]["publish"]["permissions"] == {"id-token": "write"}
    assert [j for j in doc["jobs"] if "permissions" in doc["jobs"][j]] == ["publish"]
    token = yaml.safe_load(generate(publish="token"))
    assert not any("permissions" in job for job in token["jobs"].values())


def test_trusted_publishing_with_attestations_in_the_pypi_environment() -> None:
    doc = yaml.safe_load(generate(publish="trusted"))
    publish = doc["jobs"]["publish"]
    assert publish["environment"] == "pypi"
    assert publish["if"] == "startsWith(github.ref, 'refs/tags/v')"
    action = step_using(doc, "publish", "pypa/gh-action-pypi-publish")
    assert action["with"] == {"packages-dir": "dist", "attestations": True}
    assert "secrets." not in generate(publish="trusted")


def test_token_publishing_goes_through_manywheel_publish() -> None:
    doc = yaml.safe_load(generate(publish="token"))
    publish = doc["jobs"]["publish"]
    assert publish["environment"] == "pypi"
    run = next(s for s in publish["steps"] if s.get("name") == "Publish")
    assert run["run"] == "manywheel publish dist"
    assert run["env"] == {"MANYWHEEL_TOKEN": "${{ secrets.PYPI_API_TOKEN }}"}
    assert "gh-action-pypi-publish" not in generate(publish="token")


def test_wheel_cache_is_restored_and_saved_per_shard_but_never_for_a_tag() -> None:
    # zizmor's cache-poisoning audit does not look at `if:`: this test is what keeps a
    # release (a tag run) from restoring a cache that another workflow could have written
    doc = yaml.safe_load(generate("x86_64 aarch64", shards=3))
    restore = step_using(doc, "build", "actions/cache/restore")
    save = step_using(doc, "build", "actions/cache/save")
    assert restore["if"] == "github.ref_type != 'tag'"
    assert save["if"].startswith("github.ref_type != 'tag' && ")
    assert "!cancelled()" in save["if"]  # a failed build's wheels are kept for its re-run
    prefix = restore["with"]["restore-keys"]
    for part in ("runner.os", "runner.arch", "matrix.arch", "matrix.shard", "matrix.shards"):
        assert "${{ " + part + " }}" in prefix
    assert restore["with"]["key"].startswith(prefix + "${{ hashFiles('pyproject.toml', ")
    assert save["with"]["key"] == "${{ steps.cache.outputs.cache-primary-key }}"
    build = next(s for s in steps(doc, "build") if s.get("name") == "Build wheels")
    assert build["env"]["MANYWHEEL_CACHE_DIR"] == restore["with"]["path"] == save["with"]["path"]
    names = [s.get("name") for s in steps(doc, "build")]
    assert names.index("Restore the wheel cache") < names.index("Build wheels")
    assert names.index("Build wheels") < names.index("Save the wheel cache")
    # nothing restores a cache with the combined action, whose restore has no tag condition
    assert not any(s.get("uses", "").startswith("actions/cache@") for s in steps(doc, "build"))


def test_matrix_values_reach_the_build_through_the_environment() -> None:
    doc = yaml.safe_load(generate("x86_64 aarch64", shards=2))
    build = next(s for s in steps(doc, "build") if s.get("name") == "Build wheels")
    assert "${{" not in build["run"]
    assert build["env"]["ARCH"] == "${{ matrix.arch }}"
    assert build["env"]["SHARD"] == "${{ matrix.shard }}/${{ matrix.shards }}"


def test_a_uses_line_with_a_sha_not_in_the_table_is_refused() -> None:
    from manywheel.ci.actions import with_versions

    stale = "    - uses: actions/checkout@" + "0" * 40
    with pytest.raises(ValueError, match="is not the pin of actions/checkout"):
        with_versions(stale)
    assert with_versions("    - uses: ./local-action") == "    - uses: ./local-action"


def manywheel_installs(commands: list[str]) -> list[Requirement]:
    """The manywheel requirements of the `pip install` commands among ``commands``."""
    found = []
    for command in commands:
        for part in command.split(" && "):
            if " pip install " in f" {part} ":
                words = part.split(" pip install ", 1)[1].split()
                found += [Requirement(w.strip("'\"")) for w in words]
    return [r for r in found if r.name == "manywheel"]


@pytest.mark.parametrize("publish", ["trusted", "token", "none"])
def test_jobs_install_the_manywheel_that_wrote_the_workflow(publish: str) -> None:
    doc = yaml.safe_load(generate("x86_64 aarch64 s390x", 2, publish))
    runs_manywheel = 0
    for name, job in doc["jobs"].items():
        commands = [s["run"] for s in job["steps"] if "run" in s]
        if not any("manywheel " in c for c in commands if "pip install" not in c):
            continue
        runs_manywheel += 1
        installs = manywheel_installs(commands)
        assert installs, f"job {name} runs manywheel without installing it"
        assert [str(r.specifier) for r in installs] == [f"=={__version__}"], name
    assert runs_manywheel == (3 if publish == "token" else 2)  # sdist, build (and publish)
