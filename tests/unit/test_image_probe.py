"""Reading the one-exec probe of a container's image (backends/image_probe.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from manywheel.backends.image_probe import (
    ImageProbe,
    keep_probe,
    kept_probe,
    parse_probe,
    probe_image,
    probe_keepable,
)

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


PROBE = ImageProbe(
    env={"PATH": "/usr/bin", "HOSTNAME": "0123abcd", "HOME": "/root"},
    uv="/usr/local/bin/uv",
    ccache=None,
    compilers=("gcc", "g++"),
    python="/usr/bin/python3",
)


def test_a_kept_probe_is_read_back_for_the_same_start_only(tmp_path: Path) -> None:
    kept = tmp_path / "probes" / "podman-x.json"
    keep_probe(kept, "key-1", PROBE)
    back = kept_probe(kept, "key-1")
    # the container's own host name is not kept: a command inherits the new container's
    assert back == ImageProbe(
        env={"PATH": "/usr/bin", "HOME": "/root"},
        uv="/usr/local/bin/uv",
        ccache=None,
        compilers=("gcc", "g++"),
        python="/usr/bin/python3",
    )
    assert kept_probe(kept, "key-2") is None  # another image ID, mount or create-args
    assert [p.name for p in kept.parent.iterdir()] == ["podman-x.json"]  # no partial file


def test_a_missing_or_damaged_kept_probe_is_probed_again(tmp_path: Path) -> None:
    kept = tmp_path / "podman-x.json"
    assert kept_probe(kept, "key") is None
    for text in ("{", "[]", '{"key": "key"}', '{"key": "key", "probe": {"env": {}}}'):
        kept.write_text(text)
        assert kept_probe(kept, "key") is None, text
    keep_probe(kept, "key", PROBE)
    data = kept.read_text().replace('"/usr/local/bin/uv"', "3")
    kept.write_text(data)
    assert kept_probe(kept, "key") is None


def test_no_kept_probe_with_mounts_or_variables_of_the_users_own() -> None:
    assert probe_keepable([])
    assert probe_keepable(["--label", "team=x", "--memory", "4g"])
    for own in (["-v", "/h:/c"], ["--volume=/h:/c"], ["--mount", "type=bind"], ["-e", "TOKEN"]):
        assert not probe_keepable(own), own
    assert not probe_keepable(["--env-file", "vars.env"])
