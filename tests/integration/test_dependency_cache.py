"""Build dependencies cached across runs, for real, in podman: uv's cache lives on the host per
image ID, concurrent jobs fill it together without errors, and the next run needs no index."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.containers import image_env, manywheel_containers
from tests.projects import make_c_project
from tests.running import manywheel

pytestmark = [pytest.mark.integration, pytest.mark.container]

SELECT = "cp311-manylinux_x86_64 cp312-manylinux_x86_64"


def test_concurrent_jobs_share_uv_cache_and_the_next_run_works_offline(tmp_path: Path) -> None:
    project = make_c_project(tmp_path)
    env = image_env("podman", tmp_path, MANYWHEEL_BUILD=SELECT, MANYWHEEL_TEST_COMMAND="true")
    out = tmp_path / "wheelhouse"
    cold = manywheel("build", str(project), "-o", str(out), "--jobs", "2", env=env)
    assert cold.returncode == 0, cold.stdout + cold.stderr
    assert len(list(out.glob("*.whl"))) == 2
    (image_caches,) = (tmp_path / "image-caches").iterdir()  # one per image ID, on the host
    assert image_caches.name.startswith("podman-")
    assert any((image_caches / "uv").rglob("setuptools*"))  # the build dependency, kept

    # uv forbidden to reach any index: setuptools can only come from the kept cache
    # (UV_OFFLINE is forwarded, so it changes the wheel cache key: both jobs build again)
    again = tmp_path / "wheelhouse-offline"
    offline = manywheel("build", str(project), "-o", str(again), env={**env, "UV_OFFLINE": "1"})
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert "from cache" not in offline.stdout
    assert len(list(again.glob("*.whl"))) == 2
    assert manywheel_containers("podman") == []
