"""Who has a page open right now, counted per person across tabs and server processes.

Kept in the cache (Redis in production, so every app server sees the same counts). A count
expires by itself after a day, so a process that died without decrementing cannot keep
somebody "online" — and therefore without email — for ever.

When Redis is unreachable the cache answers misses and skips writes (``caunoi.core.cache``), so
these functions never raise and everybody counts as offline: a notification then goes out by
email too, which is the safe side. Enters and leaves skipped during an outage are not caught
up: pages reconnect and count themselves in again; a leave that was lost while Redis kept its
data (a network cut rather than a restart) can leave a count too high until its TTL.
"""

from __future__ import annotations

from django.core.cache import cache

TTL = 24 * 60 * 60


def _key(user_id: int) -> str:
    return f"presence:{user_id}"


def presence_enter(user_id: int) -> None:
    key = _key(user_id)
    if not cache.add(key, 1, TTL):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, TTL)


def presence_leave(user_id: int) -> None:
    key = _key(user_id)
    try:
        if cache.decr(key) <= 0:
            cache.delete(key)
    except ValueError:
        pass


def is_online(user_id: int) -> bool:
    return bool(cache.get(_key(user_id)))


def online_among(user_ids: list[int]) -> set[int]:
    found = cache.get_many([_key(u) for u in user_ids])
    return {u for u in user_ids if found.get(_key(u))}
