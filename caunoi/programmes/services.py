"""Programmes and their money: recording a programme, loading exchange rates, recording a
commitment or a disbursement converted at its date's rate, a year's budget, a document; the
kits; the logframe (results, indicators, targets, entered actuals). Atomic and audited; a refusal is a
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
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import audit_record
from caunoi.core.files import process_upload
from caunoi.monitoring.catalogue import BY_CODE
from caunoi.network.access import user_scope
from caunoi.network.models import Facility
from caunoi.places.models import Province
from caunoi.programmes.access import can_manage
from caunoi.programmes.logframe import parse_target_period, within
from caunoi.programmes.models import (
    Budget,
    DocumentKind,
    EnteredActual,
    ExchangeRate,
    FlowType,
    Kit,
    KitKind,
    KitLog,
    KitStatus,
    LogframeIndicator,
    LogframeResult,
    Measure,
    Narrative,
    Partner,
    PartnerRole,
    PriorityArea,
    Programme,
    ProgrammeDocument,
    ProgrammePartner,
    ProgrammeStatus,
    ResultLevel,
    Target,
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


# --- budgets and documents ----------------------------------------------------------------------


def budget_set(
    *,
    programme: Programme,
    actor: User,
    year: int,
    currency: str,
    amount: Decimal,
    kind: str = Budget.Kind.ORIGINAL,
    value_date: date | None = None,
    origin: AuditOrigin = SYSTEM,
) -> Budget:
    """The programme's budget for a year (original, or revised): converted at the rate of its
    value date — the year's first day, or today for a year still to come, since no rate of a
    future day exists. Set again, it replaces the year's (the trail keeps the old figure)."""
    if not can_manage(actor, programme):
        raise PermissionDenied(_("The programme's managers record its money."))
    errors: dict[str, list[str]] = {}
    if amount <= 0:
        errors["amount"] = [_("The amount is above zero.")]
    if not programme.starts_on.year <= year <= programme.ends_on.year:
        errors["year"] = [
            _("Choose a year of the programme (%(start)s–%(end)s).")
            % {"start": programme.starts_on.year, "end": programme.ends_on.year}
        ]
    if kind not in Budget.Kind.values:
        errors["kind"] = [_("Choose original or revised.")]
    if errors:
        raise ValidationError(errors)
    currency = currency.strip().upper()
    on = value_date or min(date(year, 1, 1), timezone.localdate())
    vnd, usd = convert(amount, currency, on)
    with transaction.atomic():
        before = Budget.objects.filter(programme=programme, year=year, kind=kind).first()
        budget, _created = Budget.objects.update_or_create(
            programme=programme,
            year=year,
            kind=kind,
            defaults={
                "currency": currency,
                "amount": amount,
                "value_date": on,
                "amount_vnd": vnd,
                "amount_usd": usd,
                "recorded_by": actor,
            },
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE if before else AuditAction.CREATE,
            obj=programme,
            purpose="programme money",
            detail={
                "budget": year,
                "kind": kind,
                "amount": f"{amount} {currency}",
                "before": f"{before.amount} {before.currency}" if before else None,
            },
            origin=origin,
        )
    return budget


def document_add(
    *,
    programme: Programme,
    actor: User,
    kind: str,
    title: str,
    content: bytes,
    signed_on: date | None = None,
    client_id: uuid.UUID | None = None,
    origin: AuditOrigin = SYSTEM,
) -> tuple[ProgrammeDocument, bool]:
    """An MOU, agreement or report: a PDF or a scan, checked by its content."""
    if not can_manage(actor, programme):
        raise PermissionDenied(_("The programme's managers keep its documents."))
    if client_id is not None:
        existing = ProgrammeDocument.objects.filter(uploaded_by=actor, client_id=client_id).first()
        if existing is not None:
            return existing, False
    errors: dict[str, list[str]] = {}
    if kind not in DocumentKind.values:
        errors["kind"] = [_("Choose the kind of document.")]
    if not title.strip():
        errors["title"] = [_("Give the document's title.")]
    try:
        processed = process_upload(content, title.strip() or _("the document"))
    except ValidationError as exc:
        errors["file"] = exc.messages
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            doc = ProgrammeDocument(
                programme=programme,
                kind=kind,
                title=title.strip()[:300],
                signed_on=signed_on,
                content_type=processed.content_type,
                sha256=processed.sha256,
                uploaded_by=actor,
                client_id=client_id,
            )
            doc.file.save(
                f"document.{processed.extension}", ContentFile(processed.content), save=False
            )
            doc.save()
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=programme,
                purpose="programme",
                detail={"document": doc.title, "kind": kind, "sha256": processed.sha256},
                origin=origin,
            )
    except IntegrityError:
        return ProgrammeDocument.objects.get(uploaded_by=actor, client_id=client_id), False
    return doc, True


# --- the logframe -------------------------------------------------------------------------------

# Under which level each level sits.
PARENT_LEVEL = {
    ResultLevel.GOAL: None,
    ResultLevel.OUTCOME: ResultLevel.GOAL,
    ResultLevel.OUTPUT: ResultLevel.OUTCOME,
}


def _audit_logframe(
    actor: User, programme: Programme, detail: dict[str, object], origin: AuditOrigin
) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=programme,
        purpose="programme logframe",
        detail=detail,
        origin=origin,
    )


def result_add(
    *,
    programme: Programme,
    actor: User,
    level: str,
    code: str,
    title_vi: str,
    title_en: str = "",
    parent: LogframeResult | None = None,
    origin: AuditOrigin = SYSTEM,
) -> LogframeResult:
    """A goal (one a programme), an outcome under the goal or an output under an outcome."""
    if not can_manage(actor, programme):
        raise PermissionDenied(_("The programme's managers keep its logframe."))
    errors: dict[str, list[str]] = {}
    code = code.strip()
    if level not in ResultLevel.values:
        errors["level"] = [_("Choose goal, outcome or output.")]
    elif level == ResultLevel.GOAL:
        parent = None
        if programme.results.filter(level=ResultLevel.GOAL).exists():
            errors["level"] = [_("The programme has its goal already.")]
    elif parent is None or parent.programme_id != programme.pk:
        errors["parent"] = [_("Choose the result it sits under.")]
    elif parent.level != PARENT_LEVEL[ResultLevel(level)]:
        errors["parent"] = [_("An outcome sits under the goal, an output under an outcome.")]
    if not code:
        errors["code"] = [_("Give its number (for example 1.2).")]
    elif programme.results.filter(code=code).exists():
        errors["code"] = [_("Another result has this number.")]
    if not title_vi.strip():
        errors["title_vi"] = [_("Write the statement.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        r = LogframeResult.objects.create(
            programme=programme,
            parent=parent,
            level=level,
            code=code[:20],
            title_vi=title_vi.strip()[:500],
            title_en=title_en.strip()[:500],
        )
        _audit_logframe(actor, programme, {"result": r.code, "level": level}, origin)
    return r


@dataclass(frozen=True)
class IndicatorInput:
    code: str
    title_vi: str
    title_en: str = ""
    bound_code: str = ""
    measure: str = Measure.NUMBER
    ascending: bool = True
    baseline: Decimal | None = None
    baseline_year: int | None = None


def indicator_add(
    *, result: LogframeResult, actor: User, data: IndicatorInput, origin: AuditOrigin = SYSTEM
) -> LogframeIndicator:
    """An indicator of a result: entered by hand, or bound to an M&E catalogue indicator,
    whose actuals the platform then computes."""
    programme = result.programme
    if not can_manage(actor, programme):
        raise PermissionDenied(_("The programme's managers keep its logframe."))
    errors: dict[str, list[str]] = {}
    code = data.code.strip()
    if not code:
        errors["code"] = [_("Give its number (for example 1.2).")]
    elif result.indicators.filter(code=code).exists():
        errors["code"] = [_("Another indicator of this result has this number.")]
    if not data.title_vi.strip():
        errors["title_vi"] = [_("Name the indicator.")]
    if data.bound_code and data.bound_code not in BY_CODE:
        errors["bound_code"] = [_("Choose an indicator of the platform's catalogue.")]
    if data.measure not in Measure.values:
        errors["measure"] = [_("Choose number or percentage.")]
    if (data.baseline is None) != (data.baseline_year is None):
        errors["baseline"] = [_("Give the baseline with its year, or neither.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        i = LogframeIndicator.objects.create(
            result=result,
            code=code[:20],
            title_vi=data.title_vi.strip()[:500],
            title_en=data.title_en.strip()[:500],
            bound_code=data.bound_code,
            measure=data.measure,
            ascending=data.ascending,
            baseline=data.baseline,
            baseline_year=data.baseline_year,
        )
        _audit_logframe(
            actor, programme, {"indicator": i.code, "bound": data.bound_code or None}, origin
        )
    return i


def _period_of_programme(programme: Programme, text: str) -> str:
    try:
        period = parse_target_period(text)
    except ValueError as exc:
        raise ValidationError(
            {"period": [_("Write the period as 2025, 2025-Q3 or 2025-10.")]}
        ) from exc
    if within(period, programme) is None:
        raise ValidationError(
            {
                "period": [
                    _("The period lies outside the programme (%(start)s–%(end)s).")
                    % {
                        "start": f"{programme.starts_on:%d/%m/%Y}",
                        "end": f"{programme.ends_on:%d/%m/%Y}",
                    }
                ]
            }
        )
    return period.label


def target_set(
    *,
    indicator: LogframeIndicator,
    actor: User,
    period: str,
    value: Decimal,
    origin: AuditOrigin = SYSTEM,
) -> Target:
    """The target for a period of the programme; set again, it replaces the period's."""
    programme = indicator.result.programme
    if not can_manage(actor, programme):
        raise PermissionDenied(_("The programme's managers keep its logframe."))
    label = _period_of_programme(programme, period)
    if value < 0:
        raise ValidationError({"value": [_("A target is not below zero.")]})
    with transaction.atomic():
        target, _created = Target.objects.update_or_create(
            indicator=indicator, period=label, defaults={"value": value}
        )
        _audit_logframe(
            actor,
            programme,
            {"target": indicator.code, "period": label, "value": str(value)},
            origin,
        )
    return target


def actual_enter(
    *,
    indicator: LogframeIndicator,
    actor: User,
    period: str,
    value: Decimal,
    evidence: bytes,
    note: str = "",
    origin: AuditOrigin = SYSTEM,
) -> EnteredActual:
    """What an indicator the platform does not count reached in a period, with its evidence (a
    PDF or a photo of the record, checked by content). An indicator bound to the platform's
    figures takes no entered actual: the platform's figure is the actual. Entered again for
    the same period, the new figure and evidence replace the old (the trail keeps both)."""
    programme = indicator.result.programme
    if not can_manage(actor, programme):
        raise PermissionDenied(_("The programme's managers keep its logframe."))
    if indicator.bound_code:
        raise ValidationError(
            {"indicator": [_("This indicator is computed from the platform: nothing to enter.")]}
        )
    label = _period_of_programme(programme, period)
    errors: dict[str, list[str]] = {}
    if parse_target_period(label).start > timezone.localdate():
        errors["period"] = [_("This period has not begun: nothing has happened in it yet.")]
    if value < 0:
        errors["value"] = [_("An actual is not below zero.")]
    try:
        processed = process_upload(evidence, _("the evidence"))
    except ValidationError as exc:
        errors["evidence"] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        before = EnteredActual.objects.filter(indicator=indicator, period=label).first()
        actual = before or EnteredActual(indicator=indicator, period=label)
        actual.value = value
        actual.note = note.strip()[:500]
        actual.evidence_type = processed.content_type
        actual.recorded_by = actor
        actual.evidence.save(
            f"evidence.{processed.extension}", ContentFile(processed.content), save=False
        )
        actual.save()
        _audit_logframe(
            actor,
            programme,
            {
                "actual": indicator.code,
                "period": label,
                "value": str(value),
                "before": str(before.value) if before else None,
                "sha256": processed.sha256,
            },
            origin,
        )
    return actual


def narrative_save(
    *,
    programme: Programme,
    actor: User,
    period: str,
    progress: str,
    difficulties: str = "",
    next_steps: str = "",
    origin: AuditOrigin = SYSTEM,
) -> Narrative:
    """The managers' words for a reporting period (written again, they replace the old)."""
    if not can_manage(actor, programme):
        raise PermissionDenied(_("The programme's managers write its reports."))
    label = _period_of_programme(programme, period)
    if not progress.strip():
        raise ValidationError({"progress": [_("Say what progress was made.")]})
    with transaction.atomic():
        narrative, _created = Narrative.objects.update_or_create(
            programme=programme,
            period=label,
            defaults={
                "progress": progress.strip()[:5000],
                "difficulties": difficulties.strip()[:5000],
                "next_steps": next_steps.strip()[:5000],
                "written_by": actor,
            },
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=programme,
            purpose="programme",
            detail={"narrative": label},
            origin=origin,
        )
    return narrative
