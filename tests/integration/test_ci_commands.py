"""The build step of the generated GitHub workflow, run here as a runner would run it.

GitHub itself cannot run here: this test stands in for it by substituting the only
expressions the step uses (`${{ matrix.* }}`, `${{ runner.temp }}`) and running the step's
`run:` with `bash -e` (GitHub's default shell) in a fresh checkout per job, with docker and
the test image in place of the pypa image (no registry is reachable here).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.utils import parse_wheel_filename

from manywheel.ci import WorkflowOptions
from manywheel.ci.github import workflow
from tests.integration.containers import image_env, manywheel_containers

pytestmark = [pytest.mark.integration, pytest.mark.container]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "spam"
EXPRESSION = re.compile(r"\$\{\{ (matrix\.\w+|runner\.temp) \}\}")


def _render(value: str, matrix: dict[str, Any], runner_temp: Path) -> str:
    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(runner_temp) if name == "runner.temp" else str(matrix[name.split(".")[1]])

    rendered = EXPRESSION.sub(value_of, value)
    assert "${{" not in rendered, f"an expression this stand-in cannot evaluate: {value}"
    return rendered


def _run_build_job(
    step: dict[str, Any], matrix: dict[str, Any], tmp_path: Path, runner_temp: Path, name: str
) -> dict[str, dict[str, Any]]:
    checkout = tmp_path / name
    shutil.copytree(EXAMPLE, checkout)
    env = image_env(
        "docker", tmp_path, MANYWHEEL_BUILD="cp311-manylinux_x86_64 cp312-manylinux_x86_64"
    )
    del env["MANYWHEEL_PLATFORM"], env["MANYWHEEL_CACHE_DIR"]  # the step says both itself
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env.update({k: _render(v, matrix, runner_temp) for k, v in step["env"].items()})
    proc = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1500,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((checkout / "report.json").read_text())
    wheels = sorted(p.name for p in (checkout / "wheelhouse").glob("*.whl"))
    assert sorted(Path(job["wheel"]).name for job in report["jobs"]) == wheels
    return {job["identifier"]: job for job in report["jobs"]}


def test_build_step_shards_the_plan_and_fills_the_cache_a_rerun_restores(
    tmp_path: Path,
) -> None:
    doc = yaml.safe_load(workflow(WorkflowOptions(("x86_64",), 2, "none")))
    build = doc["jobs"]["build"]
    step = next(s for s in build["steps"] if s.get("name") == "Build wheels")
    matrix = build["strategy"]["matrix"]["include"]
    assert [m["shard"] for m in matrix] == [1, 2]
    runners = [tmp_path / f"runner-{m['shard']}" for m in matrix]

    shards = [
        _run_build_job(step, m, tmp_path, runners[i], f"job-{m['shard']}")
        for i, m in enumerate(matrix)
    ]
    built = [ident for shard in shards for ident in shard]
    assert sorted(built) == ["cp311-manylinux_x86_64", "cp312-manylinux_x86_64"]
    for shard in shards:
        for job in shard.values():
            assert job["status"] == "success"
            assert job["tested"]
            assert not job["cached"]
            _, _, _, tags = parse_wheel_filename(Path(job["wheel"]).name)
            assert all(t.platform.endswith("x86_64") for t in tags)
    # MANYWHEEL_CACHE_DIR is the directory the cache steps restore and save
    cache = Path(_render(step["env"]["MANYWHEEL_CACHE_DIR"], matrix[0], runners[0]))
    assert any(cache.iterdir())

    # a re-run of shard 1 after "Restore the wheel cache" brought its directory back
    rerun = _run_build_job(step, matrix[0], tmp_path, runners[0], "job-1-rerun")
    assert set(rerun) == set(shards[0])
    for ident, job in rerun.items():
        assert job["cached"]
        assert job["sha256"] == shards[0][ident]["sha256"]
    assert manywheel_containers("docker") == []
