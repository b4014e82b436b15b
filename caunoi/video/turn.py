"""ICE servers for a participant: STUN, and TURN with time-limited credentials in coturn's
shared-secret REST scheme (``use-auth-secret`` / ``static-auth-secret`` in turnserver.conf):
the username is ``<expiry unix time>:<id>`` and the password is base64(HMAC-SHA1(secret,
username)). coturn recomputes it, so no account is stored anywhere and a leaked credential
stops working when it expires."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from django.conf import settings


def turn_credentials(identity: str, *, now: float | None = None) -> tuple[str, str, int]:
    expires = int((now if now is not None else time.time()) + settings.TURN_TTL_SECONDS)
    username = f"{expires}:{identity}"
    digest = hmac.new(settings.TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode(), expires


def ice_servers(identity: str) -> list[dict[str, Any]]:
    servers: list[dict[str, Any]] = []
    if settings.STUN_URLS:
        servers.append({"urls": list(settings.STUN_URLS)})
    if settings.TURN_URLS and settings.TURN_SECRET:
        username, credential, _expires = turn_credentials(identity)
        servers.append(
            {"urls": list(settings.TURN_URLS), "username": username, "credential": credential}
        )
    return servers
