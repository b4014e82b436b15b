"""Slowing down password guessing against one account, from however many addresses.

django-axes locks a username out only from the address that failed (see settings.py: a lock
by username alone would let anyone lock anybody out). A guesser spreading attempts over many
addresses is slowed here instead: after ``LOGIN_THROTTLE_FREE_FAILURES`` failures for one
username, counted in the cache whatever the address and whether the account exists, only one
attempt is let through every 1, 2, 4 … seconds (at most ``LOGIN_THROTTLE_MAX_SECONDS``); the
others are refused without checking the password.

That would still let a guesser keep the owner waiting, so a browser that signed in to the
account before (or reset its password through the e-mailed link) carries a signed cookie naming
the account, and is not slowed (the "device cookie" of OWASP's authentication advice); it holds
keyed hashes of the usernames, not the names.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

KNOWN_BROWSER_COOKIE = "caunoi_known"
KNOWN_BROWSER_SALT = "caunoi.accounts.known-browser"
KNOWN_BROWSER_DAYS = 180
# A shared computer at a commune station is used by a handful of people.
KNOWN_BROWSER_ACCOUNTS = 10
# How long one let-through attempt holds its slot (an attempt takes well under a second).
SLOT_HOLD_SECONDS = 10


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
    """0 when an attempt for ``username`` may go ahead now, otherwise the seconds to wait.

    Once the wait after the last failure is over, one attempt goes ahead: it takes the slot of
    the last failure with ``cache.add`` (atomic), so of many simultaneous attempts only one is
    checked; its failure starts the next, longer wait."""
    failures = int(cache.get(_key("failures", username)) or 0)
    if not throttle_delay(failures):
        return 0
    now = _now()
    deadline, failure_id = cache.get(_key("wait", username)) or (0.0, "")
    if deadline > now:
        return max(1, math.ceil(deadline - now))
    slot = f"{_key('slot', username)}:{failure_id}"
    if cache.add(slot, now + SLOT_HOLD_SECONDS, timeout=SLOT_HOLD_SECONDS):
        return 0
    held = float(cache.get(slot) or 0)
    if held <= now:  # held by an attempt long finished; the cache has not dropped it yet
        cache.set(slot, now + SLOT_HOLD_SECONDS, timeout=SLOT_HOLD_SECONDS)
        return 0
    return max(1, math.ceil(held - now))


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
        # Named afresh for every failure, so the next attempt's slot is new.
        failure_id = secrets.token_hex(8)
        cache.set(_key("wait", username), (_now() + delay, failure_id), timeout=delay + 60)
    return failures


def login_throttle_reset(username: str) -> None:
    cache.delete_many([_key("failures", username), _key("wait", username)])


def _known_accounts(request: HttpRequest) -> list[str]:
    try:
        value = signing.get_cookie_signer(salt=KNOWN_BROWSER_SALT).unsign(
            request.COOKIES.get(KNOWN_BROWSER_COOKIE, ""),
            max_age=KNOWN_BROWSER_DAYS * 24 * 3600,
        )
    except signing.BadSignature:
        return []
    return [name for name in value.split("\n") if name]


def _known_id(username: str) -> str:
    # Keyed with the secret key: the cookie cannot be used to test guesses of a username.
    return salted_hmac(
        KNOWN_BROWSER_SALT, username.strip().casefold(), algorithm="sha256"
    ).hexdigest()[:32]


def is_known_browser(request: HttpRequest, username: str) -> bool:
    return _known_id(username) in _known_accounts(request)


def known_browser_remember(request: HttpRequest, response: HttpResponse, username: str) -> None:
    """Remember on this browser that it signed in to ``username`` (only a hash is kept)."""
    key = _known_id(username)
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
