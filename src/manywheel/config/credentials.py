"""Which host variables are credentials that build code (setup.py, build backends and their
dependencies, hooks, tests) must not see unless the user names them.

Build code is untrusted: anything it can read, it can print or send away, and a log masker only
knows the exact text of a secret (the value reversed or base64-encoded passes it). So publish
credentials and CI identity tokens are left out of every build and test environment; naming
one in ``environment-pass``, or referring to it in ``environment``, is the opt-in.

Index credentials (a password in an index URL, ``UV_INDEX_<NAME>_PASSWORD``) stay: build
dependencies are installed with them. The masker hides them in what is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from manywheel.config.expansion import references
from manywheel.config.model import Options

# Names whose values are secret: the masker hides them, and build code does not get them.
_SECRET_NAME = re.compile(r"TOKEN|PASSWORD|PASSWD|SECRET|API_KEY|CREDENTIAL|PRIVATE_KEY|JWT", re.I)
# Publish settings and CI identities whose names do not say "secret": upload usernames and
# repository URLs (which may hold a password), the URL that hands out an OIDC token, GitLab's
# clone URL (it holds the job token).
_CREDENTIAL_NAMES = {
    "MANYWHEEL_USERNAME",
    "MANYWHEEL_REPOSITORY_URL",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "CI_REPOSITORY_URL",
    "CI_REGISTRY_USER",
    "CI_DEPLOY_USER",
}
_CREDENTIAL_PREFIXES = ("TWINE_", "UV_PUBLISH_")
# uv's credentials for a named index: needed to install build dependencies from it.
_INDEX_CREDENTIAL = re.compile(r"UV_INDEX_[A-Z0-9_]+_(USERNAME|PASSWORD)")


def looks_secret(name: str) -> bool:
    """``…TOKEN``, ``…PASSWORD``, ``…SECRET``, ``…API_KEY``, ``…JWT``... names."""
    return bool(_SECRET_NAME.search(name))


def is_index_credential(name: str) -> bool:
    """``UV_INDEX_<NAME>_USERNAME``/``_PASSWORD``: uv's login to an index named in UV_INDEX."""
    return bool(_INDEX_CREDENTIAL.fullmatch(name))


def is_credential(name: str) -> bool:
    """A variable build code does not get unless it is named (index credentials excepted)."""
    if is_index_credential(name):
        return False
    return looks_secret(name) or name in _CREDENTIAL_NAMES or name.startswith(_CREDENTIAL_PREFIXES)


def withheld(environ: Mapping[str, str], named: Iterable[str] = ()) -> list[str]:
    """The credentials set in ``environ`` that build code does not get: all but ``named``."""
    passed = set(named)
    return sorted(k for k, v in environ.items() if v and is_credential(k) and k not in passed)


def without_credentials(environ: Mapping[str, str], named: Iterable[str] = ()) -> dict[str, str]:
    """``environ`` as build code gets it: credentials left out, but those ``named``."""
    passed = set(named)
    return {k: v for k, v in environ.items() if k in passed or not is_credential(k)}


def passed_on_purpose(options: Options, *, native: bool) -> set[str]:
    """The host variables whose values a job's build code gets because the user named them:
    those in environment-pass and, for a build on the host, those the environment options
    refer to as $NAME (in a container, $NAME expands against the container's environment,
    which has only what environment-pass forwards)."""
    names = set(options.environment_pass)
    if native:
        for _, value in (*options.environment, *options.test_environment):
            names.update(references(value))
    return names
