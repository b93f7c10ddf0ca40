"""ccache's depend mode (steps/depend_mode.py) goes to the builds whose objects no other job of
the run shares, and to no other: a job whose flag signature another job of its group has keeps
the preprocessed key, by which the two share objects; the same in a later run whose objects an
earlier one warmed; and a user's own CCACHE_DEPEND or CCACHE_NODEPEND is left as it is."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from manywheel.caching.kept_envs import BuildEnvRoot
from manywheel.caching.warm_records import WarmRecords
from manywheel.run.compile_order import static_signature
from manywheel.steps.shared_line import VARIABLE
from tests.fast.fakes import FakeBackend, FakeExecutor, job, plan
from tests.fast.harness import run

CCACHE = {"CCACHE_DIR": "/cache/ccache"}  # the executor's compiles go through ccache


def depend_mode_by_job(
    tmp_path: Path, *tags: str, environ: dict[str, str], **kwargs: object
) -> dict[str, str | None]:
    """Each job's build command's CCACHE_DEPEND (None: not set), from one run on 2 cores (the
    setuptools plugin is given: it writes the dependency files the mode needs)."""

    def configure(executor: FakeExecutor) -> None:
        executor.environ.update(environ)

    backend = FakeBackend(configure=configure)
    jobs = [job(f"{tag}-manylinux_x86_64") for tag in tags]
    outcome = run(tmp_path, plan(*jobs), backend, jobs=2, cores=2, **kwargs)
    assert set(outcome.status().values()) == {"success"}
    calls = backend.opened[0].calls
    return {call.build_of: call.env.get("CCACHE_DEPEND") for call in calls if call.build_of}


def test_a_build_whose_flags_no_other_job_has_gets_depend_mode(tmp_path: Path) -> None:
    # cp311 compiles with flags of its own; cp312 and cp313 share theirs (static_signature)
    found = depend_mode_by_job(
        tmp_path, "cp311", "cp312", "cp313", environ=CCACHE, share_objects=True
    )
    assert found == {"cp311": "1", "cp312": None, "cp313": None}
    log = (tmp_path / "logs").rglob("cp311-*.log")
    assert any("compiler cache: depend mode" in p.read_text() for p in log)


def test_the_choice_is_the_same_once_an_earlier_run_warmed_the_objects(tmp_path: Path) -> None:
    # nobody waits for cp312 in the second run, but cp313 still shares its objects: the same
    # compile line as in the first run, so that direct mode finds the first run's objects
    records = WarmRecords(tmp_path / "warmed", shared="digest-1")
    tags = ("cp312", "cp313")
    first = depend_mode_by_job(
        tmp_path / "1", *tags, environ=CCACHE, share_objects=True, warm_records=records
    )
    assert records.warmed(
        "img", "x86_64", static_signature(job("cp312-manylinux_x86_64").identifier)
    )
    again = depend_mode_by_job(
        tmp_path / "2", *tags, environ=CCACHE, share_objects=True, warm_records=records
    )
    assert first == again == {"cp312": None, "cp313": None}


def test_with_nothing_to_share_every_build_gets_depend_mode(tmp_path: Path) -> None:
    # every file of the project includes Python.h: no two jobs share an object
    found = depend_mode_by_job(tmp_path, "cp312", "cp313", environ=CCACHE, share_objects=False)
    assert found == {"cp312": "1", "cp313": "1"}


def test_no_depend_mode_without_ccache_or_against_the_users_choice(tmp_path: Path) -> None:
    assert depend_mode_by_job(tmp_path / "off", "cp312", environ={}) == {"cp312": None}
    users = {**CCACHE, "CCACHE_NODEPEND": "1"}
    assert depend_mode_by_job(tmp_path / "no", "cp312", environ=users) == {"cp312": None}
    users = {**CCACHE, "CCACHE_DEPEND": "true"}
    assert depend_mode_by_job(tmp_path / "yes", "cp312", environ=users) == {"cp312": "true"}


def shared_line_by_job(
    tmp_path: Path, *tags: str, environ: dict[str, str], kept: bool = True, **kwargs: object
) -> dict[str, str | None]:
    """Each job's build command's MANYWHEEL_SHARED_LINE (None: not set), from one run on 2
    cores, the executor keeping build environments (``kept``) under tmp_path/envs."""
    root = BuildEnvRoot(tmp_path / "envs", PurePosixPath("/cache/image/build-envs"))

    def configure(executor: FakeExecutor) -> None:
        executor.environ.update(environ)
        executor.kept_envs = root if kept else None

    backend = FakeBackend(configure=configure)
    jobs = [job(f"{tag}-manylinux_x86_64") for tag in tags]
    outcome = run(tmp_path, plan(*jobs), backend, jobs=2, cores=2, **kwargs)
    assert set(outcome.status().values()) == {"success"}
    calls = backend.opened[0].calls
    return {call.build_of: call.env.get(VARIABLE) for call in calls if call.build_of}


def test_the_first_of_a_signature_records_its_compiles_and_the_others_read_them(
    tmp_path: Path,
) -> None:
    # cp312 and cp313 compile alike (static_signature); cp311 alone: nothing to share
    found = shared_line_by_job(
        tmp_path, "cp311", "cp312", "cp313", environ=CCACHE, share_objects=True
    )
    record = "/cache/image/shared-lines/cp312-manylinux_x86_64-"
    assert found["cp311"] is None
    assert (found["cp312"] or "").startswith(f"write:{record}")
    assert (found["cp313"] or "").startswith(f"read:{record}")
    assert (found["cp312"] or "").split(":", 1)[1] == (found["cp313"] or "").split(":", 1)[1]


def test_no_shared_line_without_ccache_kept_environments_or_against_the_users_mode(
    tmp_path: Path,
) -> None:
    tags = ("cp312", "cp313")
    nothing = {"cp312": None, "cp313": None}
    assert shared_line_by_job(tmp_path / "a", *tags, environ={}, share_objects=True) == nothing
    found = shared_line_by_job(
        tmp_path / "b", *tags, environ=CCACHE, kept=False, share_objects=True
    )
    assert found == nothing
    users = {**CCACHE, "CCACHE_NODEPEND": "1"}
    assert shared_line_by_job(tmp_path / "c", *tags, environ=users, share_objects=True) == nothing
    found = shared_line_by_job(tmp_path / "d", *tags, environ=CCACHE, share_objects=False)
    assert found == nothing  # every file includes Python.h: nothing to share
