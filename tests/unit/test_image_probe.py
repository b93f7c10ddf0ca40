"""Reading the one-exec probe of a container's image (backends/image_probe.py)."""

from __future__ import annotations

from collections.abc import Sequence

from manywheel.backends.image_probe import ImageProbe, parse_probe, probe_image

SEP = "@@manywheel-probe@@\n"


def test_a_manylinux_like_image_is_read_section_by_section() -> None:
    out = (
        "PATH=/usr/local/bin:/usr/bin\nHOME=/root\nODD=a=b\n"
        + SEP
        + "/usr/local/bin/uv\n"
        + SEP
        + "/usr/bin/ccache\n"
        + SEP
        + "cc\ngcc\ng++\n"
        + SEP
        + "/opt/python/cp310-cp310/bin/python3\n"
    )
    assert parse_probe(out) == ImageProbe(
        env={"PATH": "/usr/local/bin:/usr/bin", "HOME": "/root", "ODD": "a=b"},
        uv="/usr/local/bin/uv",
        ccache="/usr/bin/ccache",
        compilers=("cc", "gcc", "g++"),
        python="/opt/python/cp310-cp310/bin/python3",
    )


def test_an_image_without_tools_or_python_probes_as_none() -> None:
    probe = parse_probe("PATH=/bin\n" + SEP * 4)
    assert (probe.uv, probe.ccache, probe.compilers, probe.python) == (None, None, (), None)


def test_the_probe_is_one_shell_command() -> None:
    seen: list[Sequence[str]] = []

    def capture(argv: Sequence[str]) -> str:
        seen.append(argv)
        return "A=1\n" + SEP * 4

    assert probe_image(capture).env == {"A": "1"}
    assert len(seen) == 1
    assert list(seen[0][:2]) == ["sh", "-c"]
