"""Generated CI workflows pass real linters; the shards the workflow runs cover the plan."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.running import manywheel

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "spam"
CONFIGS = [
    ("x86_64", 1, "trusted"),
    ("x86_64 aarch64", 1, "none"),
    ("x86_64 aarch64", 3, "token"),
    ("x86_64 aarch64", 3, "trusted"),
    ("x86_64 aarch64 ppc64le", 1, "token"),
    ("x86_64 aarch64 ppc64le", 3, "trusted"),
    ("x86_64 i686 aarch64 s390x", 2, "none"),
    ("x86_64 aarch64 ppc64le s390x armv7l", 2, "trusted"),  # three cross-built by zig
]


@pytest.mark.parametrize(("archs", "shards", "publish"), CONFIGS)
def test_github_workflow_passes_zizmor_actionlint_and_schema(
    tmp_path: Path, archs: str, shards: int, publish: str
) -> None:
    out = tmp_path / ".github" / "workflows" / "wheels.yml"
    proc = manywheel(
        "ci",
        "github",
        "-o",
        str(out),
        "--archs",
        archs,
        "--shards",
        str(shards),
        "--publish",
        publish,
    )
    assert proc.returncode == 0, proc.stderr
    # zizmor's offline audits (pinning, credentials, permissions, cache poisoning, template
    # injection, ...): exit 0 and not one finding
    audit = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-config", "--color", "never", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "No findings to report" in audit.stdout, audit.stdout
    lint = subprocess.run(
        [str(BIN / "actionlint"), str(out)], capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    schema = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    doc = yaml.safe_load(out.read_text())
    matrix = doc["jobs"]["build"]["strategy"]["matrix"]["include"]
    assert len(matrix) == len(archs.split()) * shards
    assert ("publish" in doc["jobs"]) == (publish != "none")
    # regenerating without --force refuses to overwrite
    again = manywheel("ci", "github", "-o", str(out))
    assert again.returncode == 2
    assert "exists; pass --force" in again.stderr


@pytest.mark.parametrize(("archs", "shards", "publish"), CONFIGS)
def test_gitlab_pipeline_passes_schema(
    tmp_path: Path, archs: str, shards: int, publish: str
) -> None:
    out = tmp_path / ".gitlab-ci.yml"
    proc = manywheel(
        "ci",
        "gitlab",
        "-o",
        str(out),
        "--archs",
        archs,
        "--shards",
        str(shards),
        "--publish",
        publish,
    )
    assert proc.returncode == 0, proc.stderr
    schema = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    doc = yaml.safe_load(out.read_text())
    assert doc["wheels"]["parallel"]["matrix"][0]["SHARD"] == [
        f"{i}/{shards}" for i in range(1, shards + 1)
    ]
    assert ("id_tokens" in doc.get("publish", {})) == (publish == "trusted")


def _plan(*args: str) -> list[str]:
    proc = manywheel("plan", str(EXAMPLE), *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


@pytest.mark.parametrize(
    "platform_args", [(), ("--platform", "docker", "--archs", "x86_64 aarch64 s390x")]
)
def test_shards_the_workflow_runs_cover_the_plan_once(platform_args: tuple[str, ...]) -> None:
    full = _plan(*platform_args)
    for count in (1, 2, 3, 4):
        parts = [_plan(*platform_args, "--shard", f"{i}/{count}") for i in range(1, count + 1)]
        union = [name for part in parts for name in part]
        assert sorted(union) == sorted(full)
        assert len(union) == len(set(union))
