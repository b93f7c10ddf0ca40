"""Normalised wheel zips and the choice of SOURCE_DATE_EPOCH (git needs a process: that
case is covered by the integration tests)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from manywheel.errors import ConfigError, DistributionCheckFailed
from manywheel.planning.project import Project
from manywheel.release import reproducible
from manywheel.release.check import check_file
from manywheel.release.reproducible import ZIP_EPOCH, normalize_wheel, source_date
from manywheel.run.wheelhouse import Wheelhouse
from tests.distributions import SO, TAG, _Stream, make_sdist, make_wheel, wheel_members


def _sdist_project(path: Path) -> Project:
    return Project(path, True, "demo", None, None, "pyproject.toml")


def _rewrite(wheel: Path, order: int, stamp: tuple[int, ...], modes: tuple[int, int]) -> None:
    """The same members, in another order, with other dates, modes and compression."""
    with zipfile.ZipFile(wheel) as zf:
        members = [(i.filename, zf.read(i)) for i in zf.infolist()][::order]
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
            info.external_attr = (0o100000 | modes[name == SO]) << 16
            zf.writestr(info, data)


def test_normalized_wheels_are_identical_whatever_their_zip_said(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    a, b = make_wheel(first), make_wheel(second)
    _rewrite(a, 1, (2026, 11, 25, 10, 11, 12), (0o600, 0o700))
    _rewrite(b, -1, (1999, 1, 2, 3, 4, 6), (0o664, 0o775))
    assert a.read_bytes() != b.read_bytes()
    for path in (a, b):
        normalize_wheel(path, 1_700_000_000)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(b) as zf:
        infos = zf.infolist()
    assert infos[-1].filename == "demo-1.0.dist-info/RECORD"
    in_dist_info = [i.filename.startswith("demo-1.0.dist-info/") for i in infos]
    assert in_dist_info == sorted(in_dist_info)  # the .dist-info directory comes last
    assert {i.date_time for i in infos} == {(2023, 11, 14, 22, 13, 20)}
    modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
    assert modes[SO] == 0o755
    assert set(modes.values()) == {0o644, 0o755}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
    assert check_file(b).ok


def test_epochs_before_1980_are_clamped(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    normalize_wheel(wheel, 0)
    with zipfile.ZipFile(wheel) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_the_users_source_date_epoch_wins(tmp_path: Path) -> None:
    project = _sdist_project(make_sdist(tmp_path))
    date = source_date(project, {"SOURCE_DATE_EPOCH": "1234567890"})
    assert (date.epoch, date.origin) == (1234567890, "environment")


def test_a_bad_source_date_epoch_is_a_config_error(tmp_path: Path) -> None:
    project = _sdist_project(make_sdist(tmp_path))
    with pytest.raises(ConfigError, match=r"SOURCE_DATE_EPOCH='yesterday' is not a number"):
        source_date(project, {"SOURCE_DATE_EPOCH": "yesterday"})


def test_an_sdist_gives_its_newest_member(tmp_path: Path) -> None:
    project = _sdist_project(make_sdist(tmp_path, mtime=1_600_000_000))
    date = source_date(project, {})
    assert (date.epoch, date.origin) == (1_600_000_000, "sdist")


def test_an_unreadable_sdist_falls_back_to_1980(tmp_path: Path) -> None:
    broken = tmp_path / "demo-1.0.tar.gz"
    broken.write_bytes(b"not a tarball")
    date = source_date(_sdist_project(broken), {})
    assert (date.epoch, date.origin) == (ZIP_EPOCH, "default")


def test_a_broken_wheel_never_lands(tmp_path: Path) -> None:
    source = tmp_path / "built"
    source.mkdir()

    def stale(members: dict[str, bytes]) -> None:
        members[SO] = b"changed after RECORD was written"

    bad = make_wheel(source, edit=stale)
    out = tmp_path / "wheelhouse"
    house = Wheelhouse(out, source_date_epoch=ZIP_EPOCH)
    house.ensure()
    with pytest.raises(DistributionCheckFailed) as caught:
        house.add_file(bad, "cp312-manylinux_x86_64")
    assert caught.value.step == "check"
    assert f"is not a valid wheel, so it was not delivered: RECORD: hash of {SO}" in str(
        caught.value
    )
    assert list(out.iterdir()) == []

    good = house.add_file(make_wheel(source), "cp312-manylinux_x86_64")
    assert [p.name for p in out.iterdir()] == [good.name]


def test_an_unrepaired_wheel_lands_with_its_linux_tag(tmp_path: Path) -> None:
    """repair-wheel-command = "" is the user's choice; check and publish refuse it later."""
    source = tmp_path / "built"
    source.mkdir()
    unrepaired = make_wheel(source, tags=("cp311-cp311-linux_x86_64",))
    house = Wheelhouse(tmp_path / "wheelhouse")
    house.ensure()
    assert house.add_file(unrepaired, "cp312-manylinux_x86_64").name == unrepaired.name


def test_a_symbolic_link_member_stays_one(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("demo/link.so")
    link.external_attr = 0o120755 << 16
    wheel = make_wheel(tmp_path, extra=[])
    with zipfile.ZipFile(wheel, "a") as zf:
        zf.writestr(link, SO.rsplit("/", 1)[1])
    normalize_wheel(wheel, ZIP_EPOCH)
    with zipfile.ZipFile(wheel) as zf:
        assert zf.getinfo("demo/link.so").external_attr >> 16 == 0o120777


def _mixed_wheel(directory: Path) -> Path:
    """A wheel with a directory entry, a name that is not ASCII, a stored member, and members
    deflated at zlib's fastest level (not zipfile's default), written streamed (each member's
    sizes in a data descriptor after it, none in its local header)."""
    members = dict(wheel_members("demo", "1.0", (TAG,)))
    members[SO] *= 50
    members["demo/data/é.txt"] = "données ".encode() * 400
    wheel = make_wheel(directory, members=members)
    with zipfile.ZipFile(wheel) as zf:
        content = [(i.filename, zf.read(i)) for i in zf.infolist()]
    stream = _Stream()
    with zipfile.ZipFile(stream, "w") as zf:  # type: ignore[arg-type]
        zf.writestr(zipfile.ZipInfo("demo/data/"), b"")
        for name, data in content:
            kind = zipfile.ZIP_STORED if name.endswith(".txt") else zipfile.ZIP_DEFLATED
            zf.writestr(name, data, compress_type=kind, compresslevel=1)
    wheel.write_bytes(stream.buffer.getvalue())
    with zipfile.ZipFile(wheel) as zf:
        assert all(i.flag_bits & 0x08 for i in zf.infolist() if not i.is_dir())
    return wheel


def test_deflated_members_are_copied_not_compressed_again(tmp_path: Path) -> None:
    wheel = _mixed_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        before = {i.filename: (i.compress_type, i.compress_size, zf.read(i)) for i in zf.infolist()}
    normalize_wheel(wheel, 1_700_000_000)
    with zipfile.ZipFile(wheel) as zf:
        after = {i.filename: (i.compress_type, i.compress_size, zf.read(i)) for i in zf.infolist()}
    assert after.keys() == before.keys()
    for name, (kind, size, data) in after.items():
        assert data == before[name][2]
        if name.endswith("/"):
            assert (kind, size) == (zipfile.ZIP_STORED, 0)
        elif before[name][0] == zipfile.ZIP_DEFLATED:  # zlib's level 1 bytes, kept
            assert (kind, size) == before[name][:2]
        else:  # the stored member, deflated
            assert kind == zipfile.ZIP_DEFLATED
            assert size < before[name][1]
    assert check_file(wheel).ok


def test_the_copy_writes_what_zipfile_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members deflated at zipfile's default level: copied or compressed again by zipfile
    (an archive that needs ZIP64), the normalised wheel is the same file."""
    wheel = _mixed_wheel(tmp_path)
    with monkeypatch.context() as patch:
        patch.setattr(reproducible, "copy_members", lambda *args: False)
        normalize_wheel(wheel, ZIP_EPOCH)  # every member deflated again, at the default level
    by_zipfile = wheel.read_bytes()
    normalize_wheel(wheel, ZIP_EPOCH)
    assert wheel.read_bytes() == by_zipfile
