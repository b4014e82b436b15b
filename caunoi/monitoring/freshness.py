"""How fresh the figures are when read: ``ensure_fresh`` (stale while revalidating, the refresh
asked of the task worker) and ``snapshot`` (every figure of a page, report or payload read
from one moment of the database). The facts themselves are written by ``facts.refresh``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from caunoi.core.db import replica_reads
from caunoi.monitoring.facts import refresh
from caunoi.monitoring.models import FactState
from caunoi.monitoring.tasks import indicators_refresh

_IN_SNAPSHOT: ContextVar[bool] = ContextVar("monitoring_snapshot", default=False)


def ensure_fresh() -> None:
    """Before a read: keep the figures at most ``MONITORING_FACTS_MAX_AGE`` seconds old without
    making the reader wait. Older than that (or never computed), the read is served from what is
    there and the task worker is asked for a refresh, once per that many seconds and not while
    one runs (stale while revalidating). A maximum age of 0 (always exact, as the tests run)
    refreshes in the read."""
    if _IN_SNAPSHOT.get():
        return  # checked when the snapshot began
    max_age = timedelta(seconds=settings.MONITORING_FACTS_MAX_AGE)
    if not max_age:
        refresh()
        return
    now = timezone.now()
    state = FactState.objects.only("refreshed_at", "requested_at").first()
    if state is not None:
        if state.refreshed_at is not None and now - state.refreshed_at < max_age:
            return
        if state.requested_at is not None and now - state.requested_at < max_age:
            return  # asked already
    FactState.objects.get_or_create(pk=1)
    with transaction.atomic():
        # A refresh that is running holds this row: then there is nothing to ask for, and
        # the reader does not wait for it (SKIP LOCKED).
        claim = (
            FactState.objects.select_for_update(skip_locked=True)
            .filter(pk=1)
            .filter(Q(requested_at__isnull=True) | Q(requested_at__lt=now - max_age))
            .first()
        )
        if claim is None:
            return
        claim.requested_at = now
        claim.save(update_fields=["requested_at"])
    transaction.on_commit(indicators_refresh.enqueue, robust=True)


@contextmanager
def snapshot() -> Iterator[None]:
    """Read every figure inside from one moment of the database, so that a refresh committing
    meanwhile is never half seen: a total and its breakdown, a page's tables, a report, a DHIS2
    payload agree with each other. Freshness is checked once, before. On PostgreSQL this is a
    REPEATABLE READ transaction (when not already inside one), on the replica when there is
    one; SQLite's transactions read from one snapshot anyway."""
    if _IN_SNAPSHOT.get():
        yield
        return
    ensure_fresh()  # on the primary: it may write (the refresh, or asking for one)
    # The figures from the streaming replica when there is one (caunoi/core/db.py): they are up
    # to MONITORING_FACTS_MAX_AGE old anyway, and a replica's lag is a fraction of a second.
    with replica_reads() as alias:
        reading = connections[alias]
        outermost = not reading.in_atomic_block
        with transaction.atomic(using=alias):
            if outermost and reading.vendor == "postgresql":
                with reading.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            token = _IN_SNAPSHOT.set(True)
            try:
                yield
            finally:
                _IN_SNAPSHOT.reset(token)
