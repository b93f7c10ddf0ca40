"""manywheel migrate reads a before-all that only installs known libraries with a package
manager as system-packages (installed by whichever manager the image has); any other
before-all stays as it is."""

from __future__ import annotations

from typing import Any

import pytest

from manywheel.ci.migrate import migrate
from manywheel.planning.package_installs import system_packages


def cibuildwheel(table: dict[str, Any]) -> dict[str, Any]:
    return {"tool": {"cibuildwheel": table}}


@pytest.mark.parametrize(
    ("before_all", "packages"),
    [
        ("yum install -y libffi-devel", ["libffi-devel"]),
        ("yum -y install libffi-devel openssl-devel", ["libffi-devel", "openssl-devel"]),
        ("dnf install -y zlib-devel && dnf install -y zlib-devel", ["zlib-devel"]),
        (
            "apt-get update && apt-get install -y --no-install-recommends libyaml-dev",
            ["libyaml-dev"],
        ),
        ("sudo apt-get update; sudo apt-get -qq install -y libssl-dev", ["libssl-dev"]),
        ("apk add --no-cache libffi-dev", ["libffi-dev"]),
        (["yum install -y libffi-devel", "apk add libffi-dev"], ["libffi-devel", "libffi-dev"]),
        ("yum install -y libffi-devel\nyum install -y xz-devel", ["libffi-devel", "xz-devel"]),
        # multidict's: whichever manager the image has, as system-packages does by itself
        (
            "yum install -y libffi-devel || apk add --upgrade libffi-dev || "
            "apt-get install libffi-dev",
            ["libffi-devel"],
        ),
        (
            "apt-get update || true && apt-get install -y zlib1g-dev || yum install -y zlib-devel",
            None,
        ),
        # pycares': each manager's install where that manager is, with comments and set -eux
        (
            "set -eux\n# musllinux_*\nif command -v apk; then\n    apk add libffi-dev\nfi\n"
            "# manylinux_2_24\nif command -v apt; then\n    apt install libffi-dev\nfi\n"
            "# manylinux_*\nif command -v yum; then\n    yum install -y libffi-devel\nfi\n",
            ["libffi-dev"],
        ),
        # zstandard's
        ("if [ -x /usr/bin/yum ]; then yum install -y libffi-devel; fi", ["libffi-devel"]),
        (
            "if command -v dnf >/dev/null 2>&1; then dnf install -y xz-devel; fi; "
            "if test -x /sbin/apk; then sudo apk add xz-dev; fi",
            ["xz-devel"],
        ),
    ],
)
def test_install_commands_of_known_libraries_are_read(
    before_all: Any, packages: list[str] | None
) -> None:
    assert system_packages(before_all) == packages


@pytest.mark.parametrize(
    "before_all",
    [
        "yum install -y libffi-devel && echo done",  # another command
        "yum install -y epel-release",  # not a known library
        "yum install -y --enablerepo=powertools gmp-devel",  # from where: changes the install
        "yum --setopt tsflags=nodocs install -y gmp-devel",  # an option with a value
        "yum install -y $(cat packages.txt)",  # the shell decides
        "yum install -y 'libffi-devel'",
        "yum update -y",  # installs nothing named
        "apt-get update",
        "yum install -y",
        "",
        "bash scripts/install-deps.sh",
        "yum install -y libffi-devel || apk add zlib-dev",  # alternatives of other libraries
        "yum install -y libffi-devel || true",
        "yum install -y libffi-devel | tee install.log",
        # guarded installs: of other libraries, with another command, under another manager's
        # guard, with an else, or with other commands beside them
        "if command -v yum; then yum install -y libffi-devel; fi; "
        "if command -v apk; then apk add zlib-dev; fi",
        "if command -v yum; then yum install -y libffi-devel && make; fi",
        "if command -v yum; then apt-get install -y libffi-dev; fi",
        "if command -v yum; then yum install -y libffi-devel; else apk add libffi-dev; fi",
        "set -e\nif command -v yum; then yum install -y libffi-devel; fi\nmake deps",
        "if [ -x /usr/bin/yum ]; then yum install -y $PACKAGES; fi",
    ],
)
def test_anything_else_is_not_read(before_all: str) -> None:
    assert system_packages(before_all) is None


def test_the_migrated_table_has_system_packages_instead_of_before_all() -> None:
    result = migrate(cibuildwheel({"before-all": "yum install -y libffi-devel"}), {})
    assert result.table == {"system-packages": ["libffi-devel"]}


def test_a_later_before_all_replaces_the_earlier_one_in_either_form() -> None:
    # the linux table's before-all wins over the main table's, as in cibuildwheel
    document = cibuildwheel(
        {"before-all": "make deps", "linux": {"before-all": "yum install -y libffi-devel"}}
    )
    assert migrate(document, {}).table == {"system-packages": ["libffi-devel"]}
    # and a CIBW_BEFORE_ALL_LINUX variable over both, kept as a command
    environ = {"CIBW_BEFORE_ALL_LINUX": "make deps"}
    assert migrate(document, environ).table == {"before-all": "make deps"}
    # a variable that only installs, over a table's command
    environ = {"CIBW_BEFORE_ALL": "apt-get install -y libffi-dev"}
    table = migrate(cibuildwheel({"before-all": "make deps"}), environ).table
    assert table == {"system-packages": ["libffi-dev"]}


def test_an_override_s_before_all_is_read_too() -> None:
    document = cibuildwheel(
        {"overrides": [{"select": "cp313-*", "before-all": "yum install -y libffi-devel"}]}
    )
    assert migrate(document, {}).table == {
        "overrides": [{"select": "cp313-*", "system-packages": ["libffi-devel"]}]
    }
