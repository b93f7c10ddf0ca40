"""system-packages: names mapped per package manager, unknown names passed through."""

from __future__ import annotations

from manywheel.planning.system_packages import install_script, package_names


def test_known_names_map_per_manager() -> None:
    assert package_names(["libffi", "libyaml"], "yum") == ["libffi-devel", "libyaml-devel"]
    assert package_names(["libffi", "libyaml"], "apt-get") == ["libffi-dev", "libyaml-dev"]
    assert package_names(["libffi", "libyaml"], "apk") == ["libffi-dev", "yaml-dev"]


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
