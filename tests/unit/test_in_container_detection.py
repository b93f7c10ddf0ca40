"""Recognising a pypa manylinux/musllinux image from inside (AUDITWHEEL_PLAT + /opt/python)."""

from __future__ import annotations

from pathlib import Path

import pytest

from manywheel.errors import ConfigError
from manywheel.planning.in_container import ManylinuxImage, detect


def test_image_is_recognised_by_plat_and_opt_python(tmp_path: Path) -> None:
    env = {"AUDITWHEEL_PLAT": "manylinux_2_28_x86_64"}
    assert detect(env, tmp_path) == ManylinuxImage("manylinux_2_28_x86_64")
    assert detect({"AUDITWHEEL_PLAT": "musllinux_1_2_aarch64"}, tmp_path) is not None
    assert detect({"AUDITWHEEL_PLAT": "manylinux2014_i686"}, tmp_path) is not None
    assert detect(env, tmp_path / "missing") is None  # no /opt/python: not an image
    assert detect({}, tmp_path) is None


def test_note_says_what_happens() -> None:
    assert ManylinuxImage("manylinux_2_28_x86_64").note == (
        "inside a manylinux_2_28_x86_64 image (AUDITWHEEL_PLAT): building with the "
        "interpreters in /opt/python and repairing to manylinux_2_28_x86_64"
    )


def test_a_bad_plat_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        detect({"AUDITWHEEL_PLAT": "linux_x86_64"}, tmp_path)
    assert str(info.value).startswith(
        "AUDITWHEEL_PLAT: 'linux_x86_64' is not an auditwheel platform such as "
        "manylinux_2_28_x86_64"
    )
