"""What each --platform can build: the candidates the plan chooses from."""

from __future__ import annotations

from collections.abc import Mapping

from manywheel.config.model import Options
from manywheel.errors import ConfigError
from manywheel.interpreters import discover, probe
from manywheel.plan import Candidate


def native_candidates(run: Options, environ: Mapping[str, str]) -> list[Candidate]:
    for path in run.interpreters:
        if probe(path) is None:
            raise ConfigError(
                f"interpreters: '{path}' is not a working CPython 3 executable. Fix the path "
                "in the 'interpreters' option (or MANYWHEEL_INTERPRETERS)."
            )
    return [Candidate(i.identifier, i.version, i.path) for i in discover(run.interpreters, environ)]


def candidates(run: Options, environ: Mapping[str, str]) -> list[Candidate]:
    if run.platform == "native":
        return native_candidates(run, environ)
    from manywheel.backends.containers import container_candidates  # heavy, only when asked

    return container_candidates(run)
