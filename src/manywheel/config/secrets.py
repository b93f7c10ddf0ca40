"""Keeping credentials out of everything manywheel prints or writes.

A Masker knows the secret values of a run (upload passwords and tokens from the environment,
passwords inside URLs) and replaces them, and any ``scheme://user:password@`` userinfo, with
``****`` in text before it is shown or saved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from manywheel.config.model import Options

SECRET_VARS = ("MANYWHEEL_PASSWORD", "MANYWHEEL_TOKEN", "TWINE_PASSWORD", "PYPI_API_TOKEN")
MASK = "****"
_SECRET_NAME = re.compile(r"TOKEN|PASSWORD|PASSWD|SECRET|API_KEY|CREDENTIAL", re.I)
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
    def for_job(cls, environ: Mapping[str, str], options: Options) -> Masker:
        """The secrets of a job: the environment's and those in its environment options."""
        masker = cls.from_environ(environ)
        masker.add_pairs([*options.environment, *options.test_environment])
        return masker

    def add_pairs(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Values of secret-looking names (…TOKEN, …PASSWORD, …SECRET, …API_KEY), and
        passwords inside URLs."""
        for name, value in pairs:
            if _SECRET_NAME.search(name):
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
