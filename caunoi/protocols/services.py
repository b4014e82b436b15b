"""Publishing protocols and their versions, reading them, and flagging a passed review date.
Each change is atomic and audited; a refusal is a message and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import audit_record
from caunoi.core.files import process_upload
from caunoi.network.access import CLINICAL_ROLES, user_scope
from caunoi.network.models import Facility, FacilityKind, Membership, Specialty, SupportLink
from caunoi.notifications.messages import in_each_language
from caunoi.notifications.services import notify
from caunoi.protocols.access import can_publish
from caunoi.protocols.models import (
    Acknowledgement,
    Audience,
    Protocol,
    ProtocolKind,
    ProtocolVersion,
)


@dataclass(frozen=True)
class VersionInput:
    effective_on: date
    review_on: date
    body: str = ""
    document: bytes | None = None
    change_note: str = ""
    chosen: Sequence[Facility] = field(default_factory=list)  # for Audience.CHOSEN


@dataclass(frozen=True)
class ProtocolInput:
    title_vi: str
    kind: str
    audience: str
    version: VersionInput
    title_en: str = ""
    code: str = ""
    specialty: Specialty | None = None


def audience_of(publisher: Facility, audience: str, chosen: Sequence[Facility]) -> list[Facility]:
    """The facilities a version goes to: the hub's currently supported facilities, every
    active health facility of the publisher's province, or those chosen."""
    if audience == Audience.SUPPORTED:
        ids = SupportLink.objects.current().filter(hub=publisher).values("spoke_id")
        return list(Facility.objects.active().filter(pk__in=ids))
    if audience == Audience.PROVINCE:
        return list(
            Facility.objects.active()
            .filter(province_id=publisher.province_id)
            .exclude(kind=FacilityKind.HEALTH_DEPARTMENT)
        )
    return [f for f in chosen if f.status == "active"]


def _version_errors(publisher: Facility, audience: str, data: VersionInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.body.strip() and data.document is None:
        errors["body"] = [_("Write the text or attach the PDF.")]
    if data.review_on <= data.effective_on:
        errors["review_on"] = [_("The review date comes after the effective date.")]
    if audience == Audience.SUPPORTED and not publisher.is_hub:
        errors["audience"] = [_("Only a hub has supported facilities; choose another audience.")]
    if audience == Audience.CHOSEN and not data.chosen:
        errors["audience"] = [_("Choose the facilities it is for.")]
    return errors


def _new_version(
    protocol: Protocol, number: int, actor: User, data: VersionInput, pdf: bytes | None
) -> ProtocolVersion:
    version = ProtocolVersion(
        protocol=protocol,
        number=number,
        body=data.body.strip(),
        change_note=data.change_note.strip()[:1000],
        effective_on=data.effective_on,
        review_on=data.review_on,
        published_by=actor,
    )
    if pdf is not None:
        version.document.save("protocol.pdf", ContentFile(pdf), save=False)
    version.save()
    facilities = audience_of(protocol.publisher, protocol.audience, data.chosen)
    version.audience.set(facilities)
    from caunoi.protocols.tasks import review_check

    review_check.using(run_after=_at_start(data.review_on)).enqueue(version.pk)
    readers = User.objects.filter(
        pk__in=Membership.objects.active()
        .filter(facility__in=facilities, role__in=sorted(CLINICAL_ROLES))
        .values("user_id"),
        is_active=True,
    )
    notify(
        users=readers,
        message="protocol.published",
        params={
            "title": in_each_language(lambda: protocol.title),
            "version": str(number),
            "publisher": protocol.publisher.name,
        },
        url=protocol.get_absolute_url(),
        exclude=actor,
    )
    return version


def _at_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.get_current_timezone())


def _pdf(data: VersionInput) -> bytes | None:
    if data.document is None:
        return None
    try:
        processed = process_upload(data.document, "protocol.pdf")
    except ValidationError as exc:
        raise ValidationError({"document": exc.messages}) from exc
    if processed.content_type != "application/pdf":
        raise ValidationError({"document": [_("Attach the protocol as a PDF document.")]})
    return processed.content


def protocol_publish(
    *,
    actor: User,
    publisher: Facility,
    data: ProtocolInput,
    client_id: uuid.UUID | None = None,
    origin: AuditOrigin = SYSTEM,
) -> tuple[Protocol, bool]:
    """A hub or a health department publishes a protocol (version 1) to its audience, who are
    told. Its staff only; the same ``client_id`` again answers the protocol it made."""
    if not can_publish(actor, publisher):
        raise PermissionDenied(
            _("A hub's specialists and coordinators, or a health department's officers, publish.")
        )
    if client_id is not None:
        existing = Protocol.objects.filter(created_by=actor, client_id=client_id).first()
        if existing is not None:
            return existing, False
    errors = _version_errors(publisher, data.audience, data.version)
    if not data.title_vi.strip():
        errors["title_vi"] = [_("Give the title.")]
    if data.kind not in ProtocolKind.values:
        errors["kind"] = [_("Choose protocol or SOP.")]
    if data.audience not in Audience.values:
        errors["audience"] = [_("Choose who it is for.")]
    if errors:
        raise ValidationError(errors)
    pdf = _pdf(data.version)
    protocol = Protocol(
        publisher=publisher,
        code=data.code.strip()[:40],
        title_vi=data.title_vi.strip()[:300],
        title_en=data.title_en.strip()[:300],
        kind=data.kind,
        specialty=data.specialty,
        audience=data.audience,
        created_by=actor,
        client_id=client_id,
    )
    try:
        with transaction.atomic():
            protocol.save()
            version = _new_version(protocol, 1, actor, data.version, pdf)
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=protocol,
                purpose="protocol",
                detail={"version": 1, "facilities": version.audience.count()},
                origin=origin,
            )
    except IntegrityError:
        existing = Protocol.objects.filter(created_by=actor, client_id=client_id).first()
        if existing is None:
            raise
        return existing, False
    return protocol, True


def version_publish(
    *, protocol: Protocol, actor: User, data: VersionInput, origin: AuditOrigin = SYSTEM
) -> ProtocolVersion:
    """A new version: the current one is superseded (still readable, marked so), the audience
    is resolved again and told, and everyone reads anew — acknowledgements are per version."""
    if not can_publish(actor, protocol.publisher):
        raise PermissionDenied(_("Only the publisher's staff publish a new version."))
    if protocol.audience == Audience.CHOSEN and not data.chosen:
        # Chosen facilities stay chosen: the new version goes where the current one went.
        current = protocol.versions.filter(superseded_at__isnull=True).first()
        if current is not None:
            data = replace(data, chosen=list(current.audience.all()))
    errors = _version_errors(protocol.publisher, protocol.audience, data)
    if errors:
        raise ValidationError(errors)
    pdf = _pdf(data)
    with transaction.atomic():
        locked = Protocol.objects.select_for_update().get(pk=protocol.pk)
        current = locked.versions.filter(superseded_at__isnull=True).first()
        number = (current.number if current else 0) + 1
        if current is not None:
            current.superseded_at = timezone.now()
            current.save(update_fields=["superseded_at"])
        version = _new_version(locked, number, actor, data, pdf)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=locked,
            purpose="protocol",
            detail={"version": number, "facilities": version.audience.count()},
            origin=origin,
        )
    return version


def acknowledge(
    *, version: ProtocolVersion, actor: User, origin: AuditOrigin = SYSTEM
) -> tuple[Acknowledgement, bool]:
    """A health worker of the audience says they have read the current version. Once."""
    existing = Acknowledgement.objects.filter(version=version, user=actor).first()
    if existing is not None:
        return existing, False
    if not version.is_current:
        raise ValidationError(_("This version is superseded: read the current one."))
    mine = set(user_scope(actor).facility_ids)
    facility = version.audience.filter(pk__in=mine).order_by("id").first()
    if facility is None:
        raise PermissionDenied(_("This protocol was not published to your facility."))
    try:
        with transaction.atomic():
            ack = Acknowledgement.objects.create(version=version, user=actor, facility=facility)
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=version.protocol,
                purpose="protocol read",
                detail={"version": version.number},
                origin=origin,
            )
    except IntegrityError:
        return Acknowledgement.objects.get(version=version, user=actor), False
    return ack, True


def review_flag(*, version_id: int, now: datetime | None = None) -> bool:
    """Run by the check scheduled at publication for the review date: a current version whose
    review date has come is flagged and its publisher told. Safe to run twice."""
    now = now or timezone.now()
    with transaction.atomic():
        v = (
            ProtocolVersion.objects.select_for_update(of=("self",))
            .select_related("protocol__publisher")
            .filter(pk=version_id, superseded_at__isnull=True, review_flagged_at__isnull=True)
            .first()
        )
        if v is None or _at_start(v.review_on) > now:
            return False
        v.review_flagged_at = now
        v.save(update_fields=["review_flagged_at"])
        audit_record(
            actor=None,
            action=AuditAction.UPDATE,
            obj=v.protocol,
            purpose="protocol review overdue",
            detail={"version": v.number},
        )
        publisher = v.protocol.publisher
        staff = Membership.objects.active().filter(facility=publisher)
        protocol = v.protocol
        notify(
            users=User.objects.filter(pk__in=staff.values("user_id"), is_active=True),
            message="protocol.review_due",
            params={
                "title": in_each_language(lambda: protocol.title),
                "version": str(v.number),
            },
            url=protocol.get_absolute_url(),
        )
    return True
