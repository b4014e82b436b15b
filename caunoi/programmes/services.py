"""Programmes and their money: recording a programme, loading exchange rates, recording a
commitment or a disbursement converted at its date's rate. Atomic and audited; a refusal is a
message and changes nothing."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import audit_record
from caunoi.network.access import user_scope
from caunoi.network.models import Facility
from caunoi.places.models import Province
from caunoi.programmes.access import can_manage
from caunoi.programmes.models import (
    ExchangeRate,
    FlowType,
    Kit,
    KitKind,
    KitLog,
    KitStatus,
    Partner,
    PartnerRole,
    PriorityArea,
    Programme,
    ProgrammePartner,
    ProgrammeStatus,
    Transaction,
    TransactionKind,
)

# A rate older than this before the transaction's date is not used: load the rates first.
RATE_MAX_AGE = timedelta(days=31)


def rate_vnd(currency: str, on: date) -> Decimal:
    """VND per unit of ``currency`` on ``on``: the latest rate loaded on or before that day,
    no older than ``RATE_MAX_AGE``."""
    if currency == "VND":
        return Decimal(1)
    rate = (
        ExchangeRate.objects.filter(currency=currency, on__lte=on, on__gt=on - RATE_MAX_AGE)
        .order_by("-on")
        .values_list("vnd", flat=True)
        .first()
    )
    if rate is None:
        raise ValidationError(
            {
                "currency": [
                    _(
                        "No %(currency)s rate loaded for %(day)s or the month before: load the rates first."
                    )
                    % {"currency": currency, "day": f"{on:%d/%m/%Y}"}
                ]
            }
        )
    return rate


def convert(amount: Decimal, currency: str, on: date) -> tuple[Decimal, Decimal]:
    """The amount in VND (whole dong) and in USD (cents) at the rate of ``on``."""
    vnd = amount * rate_vnd(currency, on)
    usd = amount if currency == "USD" else vnd / rate_vnd("USD", on)
    return (
        vnd.quantize(Decimal(1), rounding=ROUND_HALF_UP),
        usd.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
    )


def rates_load(content: bytes, *, actor: User | None = None) -> int:
    """Load exchange rates from CSV (``currency,date,vnd`` with a header; dates yyyy-mm-dd or
    dd/mm/yyyy). A day already loaded keeps its rate unless the file gives another (then it is
    replaced). A wrong line refuses the whole file with its line number."""
    try:
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    except UnicodeDecodeError as exc:
        raise ValidationError(_("The file is not UTF-8 text.")) from exc
    parsed: list[tuple[str, date, Decimal]] = []
    for n, row in enumerate(rows, start=2):
        try:
            currency = (row.get("currency") or "").strip().upper()
            text = (row.get("date") or "").strip()
            day = (
                date.fromisoformat(text)
                if "-" in text
                else date(int(text[6:10]), int(text[3:5]), int(text[0:2]))
            )
            vnd = Decimal((row.get("vnd") or "").strip().replace(",", ""))
        except (ValueError, InvalidOperation) as exc:
            raise ValidationError(
                _("Line %(n)s: expected currency, date and VND per unit.") % {"n": n}
            ) from exc
        if len(currency) != 3 or not currency.isalpha() or vnd <= 0:
            raise ValidationError(
                _("Line %(n)s: expected currency, date and VND per unit.") % {"n": n}
            )
        parsed.append((currency, day, vnd))
    if not parsed:
        raise ValidationError(_("The file has no rate."))
    with transaction.atomic():
        for currency, day, vnd in parsed:
            ExchangeRate.objects.update_or_create(currency=currency, on=day, defaults={"vnd": vnd})
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="programmes.exchangerate",
            object_label="exchange rates",
            purpose="programme money",
            detail={"rates": len(parsed)},
        )
    return len(parsed)


@dataclass(frozen=True)
class ProgrammeInput:
    code: str
    title_vi: str
    status: str
    starts_on: date
    ends_on: date
    partners: Sequence[tuple[Partner, str]]  # (partner, role)
    priority_areas: Sequence[PriorityArea]
    title_en: str = ""
    description: str = ""
    iati_identifier: str = ""
    provinces: Sequence[Province] = field(default_factory=list)
    facilities: Sequence[Facility] = field(default_factory=list)
    managers: Sequence[User] = field(default_factory=list)


def programme_create(
    *,
    actor: User,
    data: ProgrammeInput,
    client_id: uuid.UUID | None = None,
    origin: AuditOrigin = SYSTEM,
) -> tuple[Programme, bool]:
    """A network administrator records a programme with its partners and coverage."""
    if not user_scope(actor).is_network_admin:
        raise PermissionDenied(_("Network administrators record programmes."))
    if client_id is not None:
        existing = Programme.objects.filter(created_by=actor, client_id=client_id).first()
        if existing is not None:
            return existing, False
    errors: dict[str, list[str]] = {}
    if not data.code.strip():
        errors["code"] = [_("Give the programme's code.")]
    elif Programme.objects.filter(code=data.code.strip()).exists():
        errors["code"] = [_("Another programme has this code.")]
    if (
        data.iati_identifier.strip()
        and Programme.objects.filter(iati_identifier=data.iati_identifier.strip()).exists()
    ):
        errors["iati_identifier"] = [_("Another programme has this IATI identifier.")]
    if not data.title_vi.strip():
        errors["title_vi"] = [_("Give the title.")]
    if data.status not in ProgrammeStatus.values:
        errors["status"] = [_("Choose the status.")]
    if data.ends_on < data.starts_on:
        errors["ends_on"] = [_("The programme ends after it starts.")]
    if not any(role == PartnerRole.FUNDING for _p, role in data.partners):
        errors["partners"] = [_("Name at least one funding partner.")]
    if any(role not in PartnerRole.values for _p, role in data.partners):
        errors["partners"] = [_("Choose each partner's role.")]
    if not data.priority_areas:
        errors["priority_areas"] = [_("Choose at least one priority area.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            p = Programme.objects.create(
                code=data.code.strip()[:40],
                iati_identifier=data.iati_identifier.strip()[:150],
                title_vi=data.title_vi.strip()[:300],
                title_en=data.title_en.strip()[:300],
                description=data.description.strip(),
                status=data.status,
                starts_on=data.starts_on,
                ends_on=data.ends_on,
                created_by=actor,
                client_id=client_id,
            )
            p.priority_areas.set(data.priority_areas)
            p.provinces.set(data.provinces)
            p.facilities.set(data.facilities)
            p.managers.set(data.managers)
            ProgrammePartner.objects.bulk_create(
                [
                    ProgrammePartner(programme=p, partner=partner, role=role)
                    for partner, role in dict.fromkeys(data.partners)
                ]
            )
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=p,
                purpose="programme",
                detail={"code": p.code},
                origin=origin,
            )
    except IntegrityError:
        existing = Programme.objects.filter(created_by=actor, client_id=client_id).first()
        if existing is None:
            raise
        return existing, False
    return p, True


@dataclass(frozen=True)
class TransactionInput:
    kind: str
    on: date
    provider: Partner
    currency: str
    amount: Decimal
    flow_type: str
    finance_type: str
    component: str = ""
    reason: str = ""


def committed_total(programme: Programme) -> Decimal:
    return programme.transactions.filter(kind=TransactionKind.COMMITMENT).aggregate(
        s=Sum("amount_usd")
    )["s"] or Decimal(0)


def transaction_record(
    *,
    programme: Programme,
    actor: User,
    data: TransactionInput,
    client_id: uuid.UUID | None = None,
    origin: AuditOrigin = SYSTEM,
) -> tuple[Transaction, bool]:
    """A commitment or a disbursement, in its currency, converted to VND and USD at the rate
    of its date. A disbursement that takes the programme's disbursements beyond its commitments
    needs a reason (an advance, a commitment not yet recorded). The same ``client_id`` again
    answers the first."""
    if not can_manage(actor, programme):
        raise PermissionDenied(_("The programme's managers record its money."))
    if client_id is not None:
        existing = Transaction.objects.filter(recorded_by=actor, client_id=client_id).first()
        if existing is not None:
            return existing, False
    errors: dict[str, list[str]] = {}
    if data.kind not in TransactionKind.values:
        errors["kind"] = [_("Choose commitment or disbursement.")]
    if data.amount <= 0:
        errors["amount"] = [_("The amount is above zero.")]
    if data.flow_type not in FlowType.values:
        errors["flow_type"] = [_("Choose grant, concessional loan or loan.")]
    if not ProgrammePartner.objects.filter(programme=programme, partner=data.provider).exists():
        errors["provider"] = [_("The provider is one of the programme's partners.")]
    currency = data.currency.strip().upper()
    if errors:
        raise ValidationError(errors)
    vnd, usd = convert(data.amount, currency, data.on)
    with transaction.atomic():
        locked = Programme.objects.select_for_update().get(pk=programme.pk)
        if data.kind == TransactionKind.DISBURSEMENT:
            disbursed = locked.transactions.filter(kind=TransactionKind.DISBURSEMENT).aggregate(
                s=Sum("amount_usd")
            )["s"] or Decimal(0)
            if disbursed + usd > committed_total(locked) and len(data.reason.strip()) < 5:
                raise ValidationError(
                    {
                        "reason": [
                            _("This takes the disbursements beyond what is committed: say why.")
                        ]
                    }
                )
        try:
            with transaction.atomic():  # a savepoint: the twin's row is read after it
                t = Transaction.objects.create(
                    programme=locked,
                    component=data.component.strip()[:200],
                    kind=data.kind,
                    on=data.on,
                    provider=data.provider,
                    currency=currency,
                    amount=data.amount,
                    amount_vnd=vnd,
                    amount_usd=usd,
                    flow_type=data.flow_type,
                    finance_type=data.finance_type,
                    reason=data.reason.strip()[:500],
                    recorded_by=actor,
                    client_id=client_id,
                )
        except IntegrityError:
            return Transaction.objects.get(recorded_by=actor, client_id=client_id), False
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=locked,
            purpose="programme money",
            detail={"kind": data.kind, "usd": str(usd)},
            origin=origin,
        )
    return t, True


@dataclass(frozen=True)
class KitInput:
    kind: str
    serial: str
    facility: Facility
    delivered_on: date


def kit_register(
    *, programme: Programme, actor: User, data: KitInput, origin: AuditOrigin = SYSTEM
) -> Kit:
    """A kit or server the programme delivered to a facility. A serial number is one kit's:
    used twice, refused with a message."""
    if not can_manage(actor, programme):
        raise PermissionDenied(_("The programme's managers record its kits."))
    serial = data.serial.strip().upper()
    errors: dict[str, list[str]] = {}
    if data.kind not in KitKind.values:
        errors["kind"] = [_("Choose the type.")]
    if not serial:
        errors["serial"] = [_("Give the serial number.")]
    elif Kit.objects.filter(serial=serial).exists():
        errors["serial"] = [_("Another kit has this serial number.")]
    if data.facility.status != "active":
        errors["facility"] = [_("Choose an active facility.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            kit = Kit.objects.create(
                kind=data.kind,
                serial=serial[:100],
                programme=programme,
                facility=data.facility,
                delivered_on=data.delivered_on,
            )
            KitLog.objects.create(kit=kit, status=kit.status, note=_("Delivered."), by=actor)
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=programme,
                purpose="programme kits",
                detail={"serial": kit.serial, "facility": str(data.facility.public_id)},
                origin=origin,
            )
    except IntegrityError as exc:  # the same serial at the same moment
        raise ValidationError({"serial": [_("Another kit has this serial number.")]}) from exc
    return kit


def kit_status_set(
    *, kit: Kit, actor: User, status: str, note: str = "", origin: AuditOrigin = SYSTEM
) -> Kit:
    """A kit breaks, is repaired (in use again), lost or returned: in its log, with a note."""
    if not can_manage(actor, kit.programme):
        raise PermissionDenied(_("The programme's managers record its kits."))
    if status not in KitStatus.values:
        raise ValidationError({"status": [_("Choose the status.")]})
    with transaction.atomic():
        kit.status = status
        kit.save(update_fields=["status", "updated_at"])
        KitLog.objects.create(kit=kit, status=status, note=note.strip()[:500], by=actor)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=kit.programme,
            purpose="programme kits",
            detail={"serial": kit.serial, "status": status},
            origin=origin,
        )
    return kit
