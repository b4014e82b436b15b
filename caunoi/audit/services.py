"""Writing to the audit trail. Every service that changes or reveals data calls ``audit_record``
inside its own transaction, so the change and its audit row commit or roll back together; a
step of a domain object's timeline goes through ``record_step`` (the object, its timeline
event and the audit row in one atomic step)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction
from django.utils import timezone

from caunoi.audit.models import AuditAction, AuditChainHead, AuditEvent
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.core.models import TimelineEvent
from caunoi.core.person import Person
from caunoi.core.timeline import record_event

CHAIN = "main"
GENESIS = "0" * 64


def _row_digest(event: AuditEvent) -> str:
    payload = [
        event.prev_hash,
        event.at.isoformat(),
        event.actor_id,
        event.actor_label,
        event.action,
        event.object_type,
        event.object_id,
        event.object_label,
        event.purpose,
        event.detail,
        event.ip_address,
    ]
    encoded = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


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
    """Append one event to the chain (``origin``: where the change came from; its address is
    recorded). Must run inside the caller's transaction."""
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
    actor_id = person.pk if person is not None else None
    with transaction.atomic():
        # The head row's lock orders every append. It is always the last lock a service takes,
        # so it cannot deadlock with the domain rows the service locked before.
        head = AuditChainHead.objects.select_for_update().get(name=CHAIN)
        event = AuditEvent(
            at=timezone.now(),
            actor_id=actor_id,
            actor_label=(person.get_full_name() or person.get_username())[:200] if person else "",
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_label=object_label[:300],
            purpose=purpose[:200],
            detail=detail or {},
            ip_address=origin.ip_address,
            prev_hash=head.last_hash,
        )
        event.row_hash = _row_digest(event)
        event.save(force_insert=True)
        head.last_hash = event.row_hash
        head.length += 1
        head.save(update_fields=["last_hash", "length"])
    return event


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


def audit_verify() -> Iterator[tuple[AuditEvent | None, str]]:
    """Yield every event whose hash or link to the previous event does not hold, and a final
    problem when the chain does not end where its head says (newest rows removed)."""
    previous = GENESIS
    count = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        count += 1
        if event.prev_hash != previous:
            yield event, "broken link"
        elif _row_digest(event) != event.row_hash:
            yield event, "content changed"
        previous = event.row_hash
    head = AuditChainHead.objects.filter(name=CHAIN).first()
    if head is not None and (head.last_hash != previous or head.length != count):
        yield (
            None,
            f"chain ends after {count} events, its head records {head.length}: events were removed",
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
