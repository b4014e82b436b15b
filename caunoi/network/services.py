"""Changes to the network registry. The admin and the seed call these; nothing else saves a
facility, specialty, support link or membership."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction
from django.http import HttpRequest

from caunoi.audit.models import AuditAction
from caunoi.audit.services import audit_record
from caunoi.core.person import Person


def registry_save(
    *,
    obj: models.Model,
    actor: Person | AnonymousUser | None,
    changed_fields: list[str] | None = None,
    request: HttpRequest | None = None,
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
            request=request,
        )
    return obj


def registry_delete(
    *, obj: models.Model, actor: Person | AnonymousUser | None, request: HttpRequest | None = None
) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            obj=obj,
            purpose="network registry",
            request=request,
        )
        obj.delete()
