"""Which database a query goes to: the primary, or a streaming replica for reads that may lag.

With ``DATABASE_REPLICA_URL`` set, settings add a second alias, ``replica``, and install
``PrimaryReplicaRouter``. Nothing reads from the replica unless it asks to, inside
``replica_reads()``: the dashboards, exports and indicator API do (``monitoring.freshness``),
because their figures are about a minute old anyway and are the heaviest reads there are.
Everything else — every write, every read in a request that writes, sign-in, sessions, queues,
a consultation just submitted — stays on the primary, so nobody misses their own change.

Without a replica, or inside a transaction on the primary (the caller may have written
something the replica has not replayed yet), ``replica_reads()`` is the primary.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

log = logging.getLogger(__name__)

REPLICA = "replica"

_reading_replica: ContextVar[bool] = ContextVar("caunoi_reading_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def read_db() -> str:
    """The alias that reads go to here: ``replica`` inside ``replica_reads()`` when there is
    one, else the primary."""
    return REPLICA if _reading_replica.get() else DEFAULT_DB_ALIAS


def _replica_reachable() -> bool:
    try:
        connections[REPLICA].ensure_connection()
    except OperationalError as exc:
        # A standby down or being rebuilt: the figures come from the primary meanwhile, a
        # little more load there rather than an error page.
        log.warning("Replica unreachable, reading from the primary: %s", exc)
        return False
    return True


@contextmanager
def replica_reads() -> Iterator[str]:
    """Route the reads inside to the replica (when there is one and it answers); yields the
    alias they go to. Writes inside still go to the primary."""
    if (
        _reading_replica.get()
        or not replica_configured()
        or connections[DEFAULT_DB_ALIAS].in_atomic_block
        or not _replica_reachable()
    ):
        yield read_db()
        return
    token = _reading_replica.set(True)
    try:
        yield REPLICA
    finally:
        _reading_replica.reset(token)


class PrimaryReplicaRouter:
    """Reads to the replica only inside ``replica_reads()``; writes always to the primary, also
    of a row that was read from the replica (Django would otherwise save it back where it came
    from); no migrations on the replica (it replays the primary's)."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        return read_db()

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two copies

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None
