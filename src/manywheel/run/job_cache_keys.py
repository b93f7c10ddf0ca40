"""Which build-cache entry holds a job's wheel: its keys hash the project, the identifier, what
the backend builds it with, and the job's options (caching/wheel_cache.py says what each covers).
"""

from __future__ import annotations

from dataclasses import dataclass

from manywheel.backends.base import Backend
from manywheel.caching.wheel_cache import WheelCache, cache_keys
from manywheel.planning.plan import Job
from manywheel.run.pipeline import JobCache


@dataclass(frozen=True)
class JobCacheKeys:
    cache: WheelCache | None  # None: the run has no cache (--no-cache)
    backend: Backend
    project_digest: str

    def for_job(self, job: Job) -> JobCache | None:
        """The job's cache entry keys; None without a cache, or while the backend cannot yet
        say what the job is built with (never a key with a part missing)."""
        if self.cache is None:
            return None
        identity = self.backend.identity(job)
        if identity is None:
            return None
        keys = cache_keys(self.project_digest, job.name, identity, job.options)
        return JobCache(self.cache, keys)
