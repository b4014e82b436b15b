"""The work lists' rendered rows, kept in Django's cache until the list can have changed.

A queue page spends most of its time rendering rows that change only when a consult of the
hub (or of the requesting facility) changes. The services already tell the open pages when that
happens (``services._broadcast``, after commit); the same moment bumps a **queue version** per hub
and per facility here, and a cached page is keyed on the versions of every hub and facility its
list reads. A version is a random token, not a counter: a version lost from the cache (evicted,
Redis restarted) comes back as a token no cached page was ever keyed on.

The key also holds everything else that changes what the rows show or who may see them: the
list, the viewer's scope as far as the list reads it (the facility ids, hub ids, specialty ids,
and the person for the cases assigned to them), the page, the language and the time zone. Two
people share a cached page only when the same list with the same ids answers both — exactly the
rows either would see. A served copy is still noted in the request's read audit (the patients
it shows), as a rendered page would be.

The rows say "overdue" once a consult's answer deadline has passed: a copy is kept no longer
than the first deadline among its rows still to come (``valid_until``), so the flag appears on
time without a bump. The overdue list itself is not cached: which consults belong to it changes
with the clock, not only with events. Names (patient, facility, specialist) edited elsewhere
show after ``QUEUE_CACHE_SECONDS`` at the latest.

With Redis (``REDIS_URL``) the versions and the copies are shared by every process; without it,
Django's local-memory cache is per process, which fits the embedded set-up (one web process, as
live updates need without Redis). The task worker's bumps (escalations) do not reach a web
process then; the deadline bound above keeps the flag right.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from caunoi.network.access import Scope

# Changed when the rows' template changes, so that processes of two releases sharing one Redis
# do not serve each other's markup. Tests set a fresh one per test (conftest).
NAMESPACE = "consults.queue.1"
# Lists cached here; "overdue" changes with the clock (see above).
CACHED_LISTS = frozenset({"mine", "hub", "triage"})

log = logging.getLogger("caunoi.consults")


def _seconds() -> int:
    return int(getattr(settings, "QUEUE_CACHE_SECONDS", 60))


def _version_key(kind: str, ident: int) -> str:
    return f"{NAMESPACE}:v:{kind}:{ident}"


def forget_all() -> None:
    """Forget every cached list (tests, benchmarks): a new namespace, nothing to delete."""
    global NAMESPACE
    NAMESPACE = f"consults.queue.{uuid.uuid4().hex}"


def queue_versions_bump(
    *, hub_ids: Iterable[int | None] = (), facility_ids: Iterable[int] = ()
) -> None:
    """After a change committed: the lists of these hubs and facilities are to be rendered
    again. Called after commit, before the live push, so that a page that reloads on the push
    finds the new version."""
    keys = [_version_key("hub", h) for h in hub_ids if h] + [
        _version_key("facility", f) for f in facility_ids if f
    ]
    if keys:
        token = uuid.uuid4().hex[:16]
        cache.set_many(dict.fromkeys(keys, token), timeout=None)


def _versions(keys: list[str]) -> list[str]:
    found = cache.get_many(keys)
    missing = {key: uuid.uuid4().hex[:16] for key in keys if key not in found}
    for key, token in missing.items():
        # ``add``: of two first readers, one token wins; the other keys its copy on its own token,
        # which nobody reads (a wasted copy, never a wrong one).
        cache.add(key, token, timeout=None)
    return [found.get(key) or missing[key] for key in keys]


def queue_cache_key(*, scope: Scope, name: str, page: int) -> str | None:
    """The key of this viewer's page of this list, or None when the list is not cached."""
    if name not in CACHED_LISTS or _seconds() <= 0 or scope.user_id is None:
        return None
    if name == "mine":
        # The facility's cases, and the ones assigned to this person at their hubs.
        who: tuple[object, ...] = (
            sorted(scope.facility_ids),
            sorted(scope.hub_ids),
            scope.user_id if scope.hub_ids else None,
        )
        versions = [_version_key("facility", f) for f in sorted(scope.facility_ids)]
        versions += [_version_key("hub", h) for h in sorted(scope.hub_ids)]
    elif name == "hub":
        who = (sorted(scope.hub_ids), sorted(scope.specialty_ids))
        versions = [_version_key("hub", h) for h in sorted(scope.hub_ids)]
    else:
        who = (sorted(scope.coordinator_hub_ids),)
        versions = [_version_key("hub", h) for h in sorted(scope.coordinator_hub_ids)]
    parts = (
        name,
        who,
        page,
        settings.PAGE_SIZE,
        translation.get_language(),
        timezone.get_current_timezone_name(),
        _versions(versions),
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"{NAMESPACE}:rows:{digest}"


@dataclass(frozen=True)
class CachedRows:
    html: str
    consult_ids: list[int]
    valid_until: float | None  # a Unix time; None: no deadline to come on this page


def cached_rows(key: str) -> CachedRows | None:
    try:
        found = cache.get(key)
    except Exception:
        # A copy this release cannot read (written by another version sharing the cache):
        # render afresh rather than fail the page.
        log.warning("Queue cache entry %s unreadable; rendering afresh", key, exc_info=True)
        return None
    if not isinstance(found, CachedRows):
        return None
    if found.valid_until is not None and time.time() >= found.valid_until:
        return None
    return found


def keep_rows(key: str, *, html: str, consult_ids: list[int], deadlines: list[datetime]) -> None:
    """Keep a rendered page; ``deadlines`` are the answer deadlines still to come on it."""
    now = time.time()
    upcoming = [d.timestamp() for d in deadlines if d.timestamp() > now]
    valid_until = min(upcoming) if upcoming else None
    seconds = _seconds()
    if valid_until is not None:
        seconds = min(seconds, max(1, int(valid_until - now) + 1))
    cache.set(key, CachedRows(html, consult_ids, valid_until), timeout=seconds)
