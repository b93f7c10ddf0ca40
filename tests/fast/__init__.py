"""Fast orchestration tests: the scheduler, pipeline, steps, cache and wheelhouse driven by an
in-memory executor (fakes.py, harness.py). No process may start (tests/conftest.py)."""
