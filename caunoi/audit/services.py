"""Writing to the audit trail. Every service that changes or reveals data calls ``audit_record``
inside its own transaction, so the change and its audit row commit or roll back together; a
step of a domain object's timeline goes through ``record_step`` (the object, its timeline
event and the audit row in one atomic step). The rows are hash-chained after they commit, by
``audit_chain`` (the task worker, `caunoi audit chain`), and checked by ``audit_verify``; the
README says why the request takes no lock."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Min
from django.utils import timezone

from caunoi.audit.digest import content_digest, row_digest
from caunoi.audit.models import AuditAction, AuditChainHead, AuditEvent
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.core.models import TimelineEvent
from caunoi.core.person import Person
from caunoi.core.timeline import record_event

log = logging.getLogger("caunoi.audit")

CHAIN = "main"
GENESIS = "0" * 64
# Rows chained per transaction: the head's lock is let go between batches.
CHAIN_BATCH = 500
# A row older than this and still not chained means the chaining has stopped (no task
# worker?): `caunoi audit verify` fails on it.
TAIL_MAX_AGE = timedelta(minutes=10)


def audit_record(
    *,
    actor: Person | AnonymousUser | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    purpose: str = "",
    detail: dict[str, Any] | None = None,
    origin: AuditOrigin = SYSTEM,
) -> AuditEvent:
    """Append one event to the trail (``origin``: where the change came from; its address is
    recorded), in the caller's transaction: it commits or rolls back with the change.

    One INSERT and no lock: the row carries the digest of its own content, and the task worker
    chains it after it commits (``audit_chain``). The chain's order is the order rows are found
    committed, which no request has to wait for (README)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "public_id", None) or obj.pk)
        object_label = object_label or str(obj)[:300]
    # A signed-out visitor (AnonymousUser) and the system (None) are recorded without a name.
    person = (
        None
        if actor is None or isinstance(actor, AnonymousUser) or not actor.is_authenticated
        else actor
    )
    event = AuditEvent(
        at=timezone.now(),
        actor_id=person.pk if person is not None else None,
        actor_label=(person.get_full_name() or person.get_username())[:200] if person else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label[:300],
        purpose=purpose[:200],
        detail=detail or {},
        ip_address=origin.ip_address,
    )
    event.content_hash = content_digest(event)
    event.save(force_insert=True)
    return event


def _chain_rows(rows: list[AuditEvent]) -> None:
    """Write the rows' positions and hashes in one statement (PostgreSQL, SQLite >= 3.33);
    ``bulk_update`` builds a CASE per row and cost ~1.5 ms of Python per row. Only rows still
    unchained are written: any other count rolls the batch back."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    values = ", ".join(["(CAST(%s AS bigint), CAST(%s AS bigint), %s, %s)"] * len(rows))
    params: list[int | str | None] = []
    for event in rows:
        params += [event.pk, event.position, event.prev_hash, event.row_hash]
    with connection.cursor() as cursor:
        # VALUES' columns are column1… in both databases (SQLite takes no names for them).
        cursor.execute(
            f"UPDATE {table} SET position = chained.column2, prev_hash = chained.column3, "  # noqa: S608
            f"row_hash = chained.column4 FROM (VALUES {values}) AS chained "
            f"WHERE {table}.id = chained.column1 AND {table}.position IS NULL "
            f"AND {table}.row_hash IS NULL",
            params,
        )
        if cursor.rowcount != len(rows):
            raise IntegrityError(
                f"audit chaining wrote {cursor.rowcount} of {len(rows)} rows: chained elsewhere?"
            )


def _adopt_linked_rows() -> int:
    """Give their positions to rows that a server of the previous version linked into the chain
    itself (``row_hash`` set, head moved, no position): during an upgrade, between migration
    ``audit.0004`` and that server's stop. Such a row belongs right after the row whose hash it
    names, whose position is known (or becomes known as its predecessor is adopted). Runs under
    the head's lock; returns how many were adopted."""
    orphans = list(AuditEvent.objects.filter(position__isnull=True, row_hash__isnull=False))
    adopted = 0
    progress = True
    while orphans and progress:
        progress = False
        for event in list(orphans):
            if event.prev_hash == GENESIS:
                position = 1
            else:
                before = (
                    AuditEvent.objects.filter(row_hash=event.prev_hash, position__isnull=False)
                    .values_list("position", flat=True)
                    .first()
                )
                if before is None:
                    continue
                position = before + 1
            AuditEvent.objects.filter(pk=event.pk, position__isnull=True).update(position=position)
            orphans.remove(event)
            adopted += 1
            progress = True
    if orphans:
        log.error("%d audit events are linked to no chained event", len(orphans))
    return adopted


def audit_chain(*, batch: int = CHAIN_BATCH, wait: bool = True) -> int:
    """Chain every committed row not chained yet; returns how many were chained.

    Under the head's row lock, in batches of ``batch`` rows (one transaction each): each row
    gets the next position, the head's hash as ``prev_hash`` and its ``row_hash``, and the
    head moves on. The rows are read after the lock is held, so two chainers (two workers, a
    worker and `caunoi audit chain`) take turns and neither chains a row twice; the unique
    position and row hash would refuse it anyway. Rows come in id order within what has
    committed, but a row committed later with a smaller id simply gets a later position: the
    position, not the id, is the chain's order. ``wait=False``: if another chainer holds the
    head now, leave it the work and return 0 (PostgreSQL; SQLite has one writer at a time).
    Safe to repeat and to interrupt: a batch is chained whole or not at all."""
    chained = 0
    while True:
        with transaction.atomic():
            heads = AuditChainHead.objects.select_for_update(skip_locked=not wait)
            head = heads.filter(name=CHAIN).first()
            if head is None:
                return chained
            _adopt_linked_rows()
            rows = list(
                AuditEvent.objects.filter(position__isnull=True, row_hash__isnull=True).order_by(
                    "id"
                )[:batch]
            )
            if not rows:
                return chained
            for event in rows:
                if event.content_hash != content_digest(event):
                    # Changed before it was chained. It is chained as it is now, so the chain
                    # goes on; its content hash keeps showing the change (`audit verify`).
                    log.error("Audit event %s changed before it was chained", event.pk)
                head.length += 1
                event.position = head.length
                event.prev_hash = head.last_hash
                event.row_hash = row_digest(event, head.last_hash)
                head.last_hash = event.row_hash
            _chain_rows(rows)
            head.save(update_fields=["last_hash", "length"])
        chained += len(rows)


def record_step(
    *,
    obj: models.Model,
    kind: str,
    actor: Person | AnonymousUser | None,
    purpose: str,
    fields: Iterable[str] | None = None,
    action: str = AuditAction.UPDATE,
    detail: dict[str, Any] | None = None,
    audit_detail: dict[str, Any] | None = None,
    origin: AuditOrigin = SYSTEM,
) -> TimelineEvent:
    """One step of a domain object, in one atomic step: save ``fields`` of ``obj`` (with
    ``updated_at``; ``None`` when the caller has saved it already), add the ``kind`` event to
    its timeline (``detail`` for the page), and write the audit row (``action``, ``purpose``,
    ``audit_detail``, ``origin``). All three are written or none is. The caller locks the row,
    checks who may do what, and notifies after; this only records."""
    with transaction.atomic():
        if fields is not None:
            obj.save(update_fields=[*fields, "updated_at"])
        event = record_event(obj, kind, actor=actor, detail=detail)
        audit_record(
            actor=actor,
            action=action,
            obj=obj,
            purpose=purpose,
            detail=audit_detail,
            origin=origin,
        )
    return event


@dataclass(frozen=True)
class AuditTail:
    """The rows written but not chained yet."""

    count: int
    oldest_at: datetime | None

    def age(self, now: datetime | None = None) -> timedelta:
        if self.oldest_at is None:
            return timedelta(0)
        return (now or timezone.now()) - self.oldest_at


def audit_tail() -> AuditTail:
    found = AuditEvent.objects.filter(position__isnull=True, row_hash__isnull=True).aggregate(
        count=models.Count("id"), oldest=Min("at")
    )
    return AuditTail(count=found["count"], oldest_at=found["oldest"])


VERIFY_PAGE = 2000


def _pages(rows: models.QuerySet[AuditEvent], key: str) -> Iterator[AuditEvent]:
    """``rows`` in ``key`` order, ``VERIFY_PAGE`` at a time by key (not a server-side cursor, which
    PgBouncer in transaction mode does not keep: there ``iterator()`` would load the whole
    trail into memory)."""
    last: int | None = None
    while True:
        page = rows.order_by(key)
        if last is not None:
            page = page.filter(**{f"{key}__gt": last})
        batch = list(page[:VERIFY_PAGE])
        if not batch:
            return
        yield from batch
        last = getattr(batch[-1], key)


def audit_verify(
    *, tail_max_age: timedelta | None = TAIL_MAX_AGE
) -> Iterator[tuple[AuditEvent | None, str]]:
    """Yield every problem of the trail: an event whose hash or link to the previous event does
    not hold, a gap in the positions, a chain that does not end where its head says (newest
    rows removed), a not-yet-chained event whose content no longer matches its digest, and
    (``tail_max_age``) an unchained event older than that: the chaining has stopped.

    The head is read first and only positions up to its length are walked: rows chained while
    this runs are checked next time, and a chaining that commits meanwhile is no false alarm."""
    head = AuditChainHead.objects.filter(name=CHAIN).first()
    length = head.length if head is not None else 0
    previous = GENESIS
    last_position = 0
    count = 0
    chained = AuditEvent.objects.filter(position__isnull=False, position__lte=length)
    for event in _pages(chained, "position"):
        count += 1
        if event.prev_hash != previous:
            yield event, "broken link"
        elif event.position != last_position + 1:
            yield event, f"gap in the chain before position {event.position}: events removed"
        elif row_digest(event, event.prev_hash) != event.row_hash or (
            event.content_hash and event.content_hash != content_digest(event)
        ):
            yield event, "content changed"
        previous = event.row_hash or ""
        last_position = event.position or 0
    if head is not None and (head.last_hash != previous or length != count):
        yield (
            None,
            f"chain ends after {count} events, its head records {length}: events were removed",
        )
    tail = AuditEvent.objects.filter(position__isnull=True)
    for event in _pages(tail, "id"):
        if event.row_hash is not None:
            # Linked by a server of the previous version; the next chaining numbers it.
            if (
                event.prev_hash != GENESIS
                and not AuditEvent.objects.filter(row_hash=event.prev_hash).exists()
            ):
                yield event, "broken link (not numbered yet)"
            elif row_digest(event, event.prev_hash) != event.row_hash:
                yield event, "content changed (not numbered yet)"
        elif event.content_hash != content_digest(event):
            yield event, "content changed (not chained yet)"
    if tail_max_age is not None:
        waiting = audit_tail()
        if waiting.oldest_at is not None and waiting.age() > tail_max_age:
            yield (
                None,
                f"{waiting.count} events not chained, the oldest for "
                f"{int(waiting.age().total_seconds() // 60)} minutes: is the task worker running?",
            )


def registry_save(
    *,
    obj: models.Model,
    actor: Person | AnonymousUser | None,
    changed_fields: list[str] | None = None,
    origin: AuditOrigin = SYSTEM,
    save_related: Any = None,
) -> models.Model:
    """Create or update one registry row (facility, specialty, support link, membership,
    account, commune flags), validated, with its audit row, atomically.

    ``save_related`` is called after the row is saved and before the audit row is written,
    for many-to-many fields (the admin passes its form's ``save_related``).
    """
    with transaction.atomic():
        creating = obj.pk is None
        obj.full_clean()
        obj.save()
        if save_related is not None:
            save_related()
        audit_record(
            actor=actor,
            action=AuditAction.CREATE if creating else AuditAction.UPDATE,
            obj=obj,
            purpose="network registry",
            detail={"fields": sorted(changed_fields or [])},
            origin=origin,
        )
    return obj


def registry_delete(
    *, obj: models.Model, actor: Person | AnonymousUser | None, origin: AuditOrigin = SYSTEM
) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            obj=obj,
            purpose="network registry",
            origin=origin,
        )
        obj.delete()
