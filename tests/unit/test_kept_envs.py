"""Kept build environments' names and locks (no subprocess: the builds in them are in
tests/integration/test_kept_build_env.py)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from manywheel.caching.kept_envs import BuildEnvRoot


def root(tmp_path: Path) -> BuildEnvRoot:
    return BuildEnvRoot(tmp_path / "envs", PurePosixPath("/manywheel-cache/build-envs"))


def test_a_name_is_the_identifier_and_a_hash_of_what_the_environment_is_for(
    tmp_path: Path,
) -> None:
    envs = root(tmp_path)
    name = envs.name("cp312-manylinux_x86_64", "/opt/python/cp312/bin/python", ["a", "b"], "be")
    assert name.startswith("cp312-manylinux_x86_64-")
    # the same inputs, requirements in any order: the same environment, in every run
    assert (
        envs.name("cp312-manylinux_x86_64", "/opt/python/cp312/bin/python", ["b", "a"], "be")
        == name
    )
    others = {
        envs.name("cp312-manylinux_x86_64", "/opt/python/cp312/bin/python", ["a"], "be"),
        envs.name("cp312-manylinux_x86_64", "/usr/bin/python3.12", ["a", "b"], "be"),
        envs.name("cp312-manylinux_x86_64", "/opt/python/cp312/bin/python", ["a", "b"], "other"),
    }
    assert name not in others
    assert len(others) == 3


def test_a_held_environment_is_not_taken_again(tmp_path: Path) -> None:
    envs = root(tmp_path)
    with envs.lock("cp312-x") as first:
        assert first
        with envs.lock("cp312-x") as second:  # another build, another run: not waited for
            assert not second
        with envs.lock("cp313-x") as other:
            assert other
    with envs.lock("cp312-x") as again:  # released when the block ended
        assert again
    assert (tmp_path / "envs" / "cp312-x.lock").is_file()
