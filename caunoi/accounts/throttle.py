"""Slowing down password guessing against one account, from however many addresses.

django-axes locks a username out only from the address that failed (see settings.py: a lock
by username alone would let anyone lock anybody out). A guesser spreading attempts over many
addresses is slowed here instead: after ``LOGIN_THROTTLE_FREE_FAILURES`` failures for one
username, counted in the cache whatever the address and whether the account exists, only one
attempt is let through every 1, 2, 4 … seconds (at most ``LOGIN_THROTTLE_MAX_SECONDS``); the
others are refused without checking the password.

That would still let a guesser keep the owner waiting, so a browser that signed in to the
account before (or reset its password through the e-mailed link) carries a signed cookie naming
the account, and is not slowed (the "device cookie" of OWASP's authentication advice).
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

KNOWN_BROWSER_COOKIE = "caunoi_known"
KNOWN_BROWSER_SALT = "caunoi.accounts.known-browser"
KNOWN_BROWSER_DAYS = 180
# A shared computer at a commune station is used by a handful of people.
KNOWN_BROWSER_ACCOUNTS = 10
# The deadline stored in a slot decides; the cache keeps it a little longer than that.
SLOT_KEEP_SECONDS = 60


def _now() -> float:
    return time.time()


def _key(kind: str, username: str) -> str:
    # Hashed: a username is free text, and cache keys have length and character limits.
    digest = hashlib.sha256(username.strip().casefold().encode("utf-8")).hexdigest()[:32]
    return f"caunoi:login:{kind}:{digest}"


def throttle_delay(failures: int) -> int:
    """Seconds between two attempts allowed after ``failures`` failed log-ins (0: no wait)."""
    free = settings.LOGIN_THROTTLE_FREE_FAILURES
    if failures < free:
        return 0
    return int(min(2 ** min(failures - free, 30), settings.LOGIN_THROTTLE_MAX_SECONDS))


def login_attempt_wait(username: str) -> int:
    """0 when an attempt for ``username`` may go ahead now (taking the slot), otherwise the
    seconds to wait. Taking the slot with ``cache.add`` lets one of many simultaneous attempts
    through, not all of them."""
    failures = int(cache.get(_key("failures", username)) or 0)
    delay = throttle_delay(failures)
    if not delay:
        return 0
    now = _now()
    slot = _key("slot", username)
    if cache.add(slot, now + delay, timeout=delay + SLOT_KEEP_SECONDS):
        return 0
    held = cache.get(slot)
    if held is None or float(held) <= now:
        cache.set(slot, now + delay, timeout=delay + SLOT_KEEP_SECONDS)
        return 0
    return max(1, math.ceil(float(held) - now))


def login_failure_record(username: str) -> int:
    """Count one failed log-in for ``username``; returns the failures counted so far."""
    key = _key("failures", username)
    window = settings.LOGIN_THROTTLE_WINDOW_MINUTES * 60
    if cache.add(key, 1, timeout=window):
        failures = 1
    else:
        try:
            failures = int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            failures = 1
        cache.touch(key, timeout=window)
    delay = throttle_delay(failures)
    if delay:
        # The next attempt waits from this failure on.
        cache.set(_key("slot", username), _now() + delay, timeout=delay + SLOT_KEEP_SECONDS)
    return failures


def login_throttle_reset(username: str) -> None:
    cache.delete_many([_key("failures", username), _key("slot", username)])


def _known_accounts(request: HttpRequest) -> list[str]:
    try:
        value = signing.get_cookie_signer(salt=KNOWN_BROWSER_SALT).unsign(
            request.COOKIES.get(KNOWN_BROWSER_COOKIE, ""),
            max_age=KNOWN_BROWSER_DAYS * 24 * 3600,
        )
    except signing.BadSignature:
        return []
    return [name for name in value.split("\n") if name]


def is_known_browser(request: HttpRequest, username: str) -> bool:
    return _key("known", username) in _known_accounts(request)


def known_browser_remember(request: HttpRequest, response: HttpResponse, username: str) -> None:
    """Remember on this browser that it signed in to ``username`` (only a hash is kept)."""
    key = _key("known", username)
    accounts = [key, *(k for k in _known_accounts(request) if k != key)]
    value = signing.get_cookie_signer(salt=KNOWN_BROWSER_SALT).sign(
        "\n".join(accounts[:KNOWN_BROWSER_ACCOUNTS])
    )
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        value,
        max_age=KNOWN_BROWSER_DAYS * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
