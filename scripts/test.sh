#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what the tests need (podman, docker,
# debootstrap, zig, the test images), then ruff, mypy and pytest.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${MANYWHEEL_SKIP_MACHINE_SETUP:-0}" != "1" ]; then
    bash scripts/setup-test-machine.sh
fi

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install --quiet -e ".[test,docs]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import manywheel, pytest, ziglang, mkdocs, material" # fail early if the install did not work

echo "== ruff"
.venv/bin/ruff check src tests benchmarks scripts
.venv/bin/ruff format --check src tests benchmarks
echo "== mypy"
.venv/bin/mypy

echo "== pytest"
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure here" >&2
    exit 1
fi
exit "$status"
