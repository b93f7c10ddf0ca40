"""Credentials shaped like real ones, for tests that must never hold a real one."""

from __future__ import annotations

import base64
import json


def fake_jwt(claims: dict[str, str]) -> str:
    """An ID token shaped like the one a CI (GitLab's ``id_tokens``) puts in a variable: a JWT
    with these claims and a dummy signature. Twine's `id` only parses it; only the stand-in
    index of the tests ever receives it, never a real one."""

    def part(data: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"
