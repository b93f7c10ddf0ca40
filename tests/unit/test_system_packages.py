"""system-packages: names mapped per package manager, unknown names passed through."""

from __future__ import annotations

from pathlib import Path

from manywheel.planning.system_packages import PACKAGES, install_script, package_names


def test_known_names_map_per_manager() -> None:
    assert package_names(["libffi", "libyaml"], "yum") == ["libffi-devel", "libyaml-devel"]
    assert package_names(["libffi", "libyaml"], "apt-get") == ["libffi-dev", "libyaml-dev"]
    assert package_names(["libffi", "libyaml"], "apk") == ["libffi-dev", "yaml-dev"]


def test_a_managers_own_name_of_a_known_library_maps_to_the_others() -> None:
    """cibuildwheel scripts name yum's packages (``yum install -y libffi-devel``): the same
    name installs apt's and apk's package in a Debian or Alpine image, and the reverse."""
    assert package_names(["libffi-devel", "openssl-devel"], "apt-get") == [
        "libffi-dev",
        "libssl-dev",
    ]
    assert package_names(["libffi-devel"], "apk") == ["libffi-dev"]
    assert package_names(["libssl-dev", "zlib1g-dev"], "yum") == ["openssl-devel", "zlib-devel"]
    assert package_names(["yaml-dev"], "apt-get") == ["libyaml-dev"]


def test_no_manager_name_belongs_to_two_libraries() -> None:
    owners: dict[str, set[str]] = {}
    for library, names in PACKAGES.items():
        for name in names:
            owners.setdefault(name, set()).add(library)
    assert {name: libs for name, libs in owners.items() if len(libs) > 1} == {}
    # nor is a manager's name another library's own name
    assert [n for n, libs in owners.items() if n in PACKAGES and libs != {n}] == []


def test_unknown_names_pass_through() -> None:
    assert package_names(["libfoo-devel"], "dnf") == ["libfoo-devel"]


def test_script_tries_each_manager_and_names_failures() -> None:
    script = install_script(["libyaml"])
    assert "apt-get install -y -q --no-install-recommends libyaml-dev" in script
    assert "yum install -y libyaml-devel" in script
    assert "apk add --no-cache yaml-dev" in script
    assert "manywheel: system-packages: apt-get could not install: libyaml-dev" in script


def test_musllinux_script_uses_apk_only() -> None:
    # musllinux images are Alpine: apk. An apt-get or dnf in a musl image would bring glibc
    # libraries, so it is not tried (manywheel's musl test image has no apk: this is the test).
    script = install_script(["libffi", "openssl", "libfoo-dev"], "musllinux")
    assert "apk add --no-cache libffi-dev openssl-dev libfoo-dev" in script
    assert "manywheel: system-packages: apk could not install: libffi-dev openssl-dev" in script
    for other in ("apt-get", "yum", "dnf"):
        assert other not in script
    assert "no package manager found (tried apk)" in script


def test_the_platforms_page_lists_every_known_library() -> None:
    page = (Path(__file__).parents[2] / "docs" / "platforms.md").read_text(encoding="utf-8")
    listed = page.split("The known libraries and tools: ", 1)[1].split(". ", 1)[0]
    assert [n.strip("`,") for n in listed.split()] == list(PACKAGES)
