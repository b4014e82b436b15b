"""A dashboard's figures, rendered once per refresh of the facts.

The figures of a place and period change only when the facts are refreshed (at most once per
``MONITORING_FACTS_MAX_AGE``); rendering them costs most of the page (tens of queries and of
milliseconds for a province). They are kept in Django's cache under the place, the period, the
facts' refresh time (read in the page's snapshot, so the key and the figures are of the same
moment), the language, the time zone and the date (the current period's figures end today).
They are aggregates with small cells already suppressed, the same for everyone allowed the
place: who may see the place is checked before (``access.resolve_place``), never cached.
The page around them (choices of place and period, the DHIS2 button, the menu) is the viewer's
and is rendered each time.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

from caunoi.monitoring.catalogue import Place
from caunoi.monitoring.periods import Period

# Changed with the figures' template; tests set a fresh one per test (conftest).
NAMESPACE = "monitoring.figures.1"


def _seconds() -> int:
    return int(getattr(settings, "DASHBOARD_CACHE_SECONDS", 3600))


def forget_all() -> None:
    """Forget every cached dashboard (tests, benchmarks)."""
    global NAMESPACE
    NAMESPACE = f"monitoring.figures.{uuid.uuid4().hex}"


def figures_key(*, place: Place, period: Period, refreshed_at: datetime | None) -> str | None:
    """None when the figures are not cached: never computed yet, or caching turned off."""
    if refreshed_at is None or _seconds() <= 0:
        return None
    parts = (
        place.key,
        period.label,
        refreshed_at.isoformat(),
        translation.get_language(),
        timezone.get_current_timezone_name(),
        timezone.localdate().isoformat(),
    )
    return f"{NAMESPACE}:{hashlib.sha256(repr(parts).encode()).hexdigest()}"


def cached_figures(key: str) -> str | None:
    found = cache.get(key)
    return found if isinstance(found, str) else None


def keep_figures(key: str, html: str) -> None:
    cache.set(key, html, timeout=_seconds())
