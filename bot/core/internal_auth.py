"""Shared secrets between the assistant's own processes (docs/security.md).

Every internal service requires one, sent in the ``Authorization`` header
and never in a URL or on a command line (``ps`` shows command lines; access
logs show URLs). The secrets come from the environment; the launcher
generates them for a run when they are not set.

* ``RASA_AUTH_TOKEN``: the Rasa server's HTTP API (Rasa's JWT
  authentication, HS256, an admin token signed with this secret) and the
  Zalo channel's kick endpoint.
* ``ACTION_SERVER_TOKEN``: the action server (bot/apps/actions.py), as a
  bearer token that Rasa sends from endpoints.yml.
* ``REST_CHANNEL_TOKEN``: the REST channel (channels/rest.py); without it
  the channel is off.

``python -m bot.core.internal_auth`` prints the header for Rasa's HTTP API,
for an operator's ``curl -H``.
"""

from __future__ import annotations

import hmac
import os
from typing import Dict, Optional

RASA_SECRET = "RASA_AUTH_TOKEN"
ACTIONS_SECRET = "ACTION_SERVER_TOKEN"
REST_SECRET = "REST_CHANNEL_TOKEN"
JWT_METHOD = "HS256"


def secret(name: str) -> str:
    """The secret in the environment variable ``name``, or "" when unset."""
    return os.environ.get(name, "")


def rasa_jwt(key: Optional[str] = None) -> str:
    """A token Rasa's HTTP API accepts as an administrator's."""
    import jwt

    return jwt.encode({"user": {"username": "assistant", "role": "admin"}}, key or secret(RASA_SECRET),
                      algorithm=JWT_METHOD)


def rasa_headers(key: Optional[str] = None) -> Dict[str, str]:
    """The header for Rasa's HTTP API; none when no secret is set (an unprotected API)."""
    key = key or secret(RASA_SECRET)
    return {"Authorization": f"Bearer {rasa_jwt(key)}"} if key else {}


def bearer(header: Optional[str]) -> str:
    """The token of an ``Authorization: Bearer <token>`` header, or ""."""
    scheme, _, token = (header or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def matches(header: Optional[str], key: str) -> bool:
    """True when the header carries exactly this (non-empty) secret."""
    return bool(key) and hmac.compare_digest(bearer(header).encode(), key.encode())


def is_rasa_jwt(header: Optional[str], key: Optional[str] = None) -> bool:
    """True when the header carries an administrator's token signed with the Rasa secret."""
    import jwt

    key = key or secret(RASA_SECRET)
    if not key:
        return False
    try:
        claims = jwt.decode(bearer(header), key, algorithms=[JWT_METHOD])
    except jwt.PyJWTError:
        return False
    return (claims.get("user") or {}).get("role") == "admin"


if __name__ == "__main__":
    if not secret(RASA_SECRET):
        raise SystemExit(f"error: set {RASA_SECRET} to the Rasa server's secret")
    print(f"Authorization: {rasa_headers()['Authorization']}")
