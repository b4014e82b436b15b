"""Personal API tokens: ``cn_<8 hex>_<43 url-safe chars>``.

The random part carries 256 bits, so a plain SHA-256 of the whole token is a safe thing to
store and look up (no salt or slow hash is needed for secrets that cannot be guessed).
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings


def token_generate() -> tuple[str, str, str]:
    """Return (token, prefix, sha256) for a new token."""
    prefix = secrets.token_hex(4)
    token = f"{settings.API_TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return token, prefix, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
