"""Keeping credentials out of everything manywheel prints or writes.

A Masker knows the secret values of a run (upload passwords and tokens from the environment,
values the environment options give secret-looking names or take from secret-looking
variables, passwords inside URLs) and replaces them, and any ``scheme://user:password@``
userinfo, with ``****`` in text before it is shown or saved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from manywheel.config.credentials import looks_secret
from manywheel.config.expansion import expand, references
from manywheel.config.model import EnvPairs, Options

SECRET_VARS = ("MANYWHEEL_PASSWORD", "MANYWHEEL_TOKEN", "TWINE_PASSWORD", "PYPI_API_TOKEN")
MASK = "****"
_USERINFO = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/\s:@]*):(?P<password>[^/\s@]+)@"
)


def mask_url(url: str) -> str:
    """``https://user:pw@host/x`` -> ``https://user:****@host/x``."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", url)


class Masker:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Masker:
        masker = cls(environ.get(var, "") for var in SECRET_VARS)
        masker.add_pairs(environ.items())
        return masker

    @classmethod
    def for_job(
        cls, environ: Mapping[str, str], options: Options, base: Mapping[str, str] | None = None
    ) -> Masker:
        """The secrets of a job: the environment's and those in its environment options, as
        written and as expanded against ``base`` (the environment the job starts from;
        default: ``environ``)."""
        masker = cls.from_environ(environ)
        start = dict(environ if base is None else base)
        built = masker.add_assignments(options.environment, start)
        masker.add_assignments(options.test_environment, {**start, **built})
        return masker

    def add_assignments(self, assignments: EnvPairs, base: Mapping[str, str]) -> dict[str, str]:
        """The values of ``environment``-style assignments, expanded in order as the job's
        environment is (config/expansion.py). A value is secret when its name looks secret
        (``GITHUB_TOKEN=$GH_PAT`` hides GH_PAT's value), or when it takes a secret-looking
        variable's value (``AUTH=Bearer $API_TOKEN`` hides the whole header). Returns the
        expanded assignments."""
        current: dict[str, str] = dict(base)
        result: dict[str, str] = {}
        for name, raw in assignments:
            # an unset secret-looking variable brings no secret (and "-O2 " must not become one)
            takes_secret = any(looks_secret(ref) and current.get(ref) for ref in references(raw))
            value = current[name] = result[name] = expand(raw, current)
            self.add_pairs([(name, raw), (name, value)])
            if takes_secret:
                self.add(value)
        return result

    def add_pairs(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Values of secret-looking names (…TOKEN, …PASSWORD, …SECRET, …API_KEY), and
        passwords inside URLs."""
        for name, value in pairs:
            if looks_secret(name):
                self.add(value)
            for match in _USERINFO.finditer(value):
                self.add(match["password"])

    def mask_file(self, path: Path) -> None:
        """Rewrite a log file with every secret masked."""
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        masked = self.mask(text)
        if masked != text:
            path.write_text(masked, encoding="utf-8")

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 3:  # shorter strings would mask ordinary text
            self._secrets.add(secret)

    def add_url(self, url: str) -> None:
        self.add(urlsplit(url).password)

    def mask(self, text: str) -> str:
        text = mask_url(text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text
