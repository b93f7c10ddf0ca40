"""What each --platform can build: the candidates the plan chooses from."""

from __future__ import annotations

from collections.abc import Mapping

from manywheel.config.model import Options
from manywheel.errors import ConfigError
from manywheel.in_container import detect
from manywheel.interpreters import discover, probe
from manywheel.plan import Candidate


def native_candidates(run: Options, environ: Mapping[str, str]) -> list[Candidate]:
    for path in run.interpreters:
        if probe(path) is None:
            raise ConfigError(
                f"interpreters: '{path}' is not a working CPython 3 executable. Fix the path "
                "in the 'interpreters' option (or MANYWHEEL_INTERPRETERS)."
            )
    image = detect(environ)  # inside a manylinux image: its /opt/python, nothing else
    found = discover(run.interpreters, environ, only_opt_python=image is not None)
    return [Candidate(i.identifier, i.version, i.path) for i in found]


def candidates(run: Options, environ: Mapping[str, str]) -> list[Candidate]:
    if run.platform == "native":
        return native_candidates(run, environ)
    from manywheel.backends.containers import container_candidates  # heavy, only when asked

    return container_candidates(run)
