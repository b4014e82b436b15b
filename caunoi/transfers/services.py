"""Every change to a technique transfer: recording it, each guarded step, the cases, the
monthly reports after authorisation and the flag when one is late. Each is atomic and writes
its timeline event and audit row; a refusal is a ``ValidationError`` or ``PermissionDenied``
with a message, and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import record_step
from caunoi.core.files import process_upload
from caunoi.network.access import CLINICAL_ROLES, user_scope
from caunoi.network.models import Facility, FacilityKind, Membership, Role, Specialty
from caunoi.notifications.services import notify
from caunoi.transfers.access import heads_receiver, manages, receives
from caunoi.transfers.models import (
    CaseKind,
    MonthlyReport,
    OverdueReport,
    Technique,
    Transfer,
    TransferCase,
    TransferEventKind,
    TransferStatus,
)

# After authorisation the receiver reports the twelve calendar months that follow the month of
# the decision; each report is due by the tenth day of the month after it.
REPORT_MONTHS = 12
REPORT_DUE_DAY = 10


@dataclass(frozen=True)
class TransferInput:
    receiver: Facility
    supervised_target: int
    agreed_on: date
    planned_end: date
    technique: Technique | None = None
    technique_name: str = ""
    technique_code: str = ""
    specialty: Specialty | None = None
    level: str = ""
    observed_target: int = 3
    agreement_number: str = ""
    agreement: bytes | None = None
    trainers: Sequence[User] = field(default_factory=list)
    trainees: Sequence[User] = field(default_factory=list)


def _staff_of(facility_id: int, roles: Sequence[str]) -> set[int]:
    return set(
        Membership.objects.active()
        .filter(facility_id=facility_id, role__in=list(roles))
        .values_list("user_id", flat=True)
    )


def transfer_create(
    *,
    actor: User,
    hub: Facility,
    data: TransferInput,
    client_id: uuid.UUID | None = None,
    origin: AuditOrigin = SYSTEM,
) -> tuple[Transfer, bool]:
    """The hub records a transfer it agreed with a receiving facility. Its specialists and
    coordinators only; the trainers are the hub's, the trainees the receiver's. The same
    ``client_id`` again answers the transfer it made (``False``)."""
    if not hub.is_hub or hub.pk not in user_scope(actor).hub_ids:
        raise PermissionDenied(
            _("Only the hub's specialists and coordinators record its transfers.")
        )
    if client_id is not None:
        existing = Transfer.objects.filter(created_by=actor, client_id=client_id).first()
        if existing is not None:
            return existing, False
    errors: dict[str, list[str]] = {}
    receiver = data.receiver
    if receiver.pk == hub.pk:
        errors["receiver"] = [_("A hub transfers a technique to another facility.")]
    elif receiver.status != "active" or receiver.kind == FacilityKind.HEALTH_DEPARTMENT:
        errors["receiver"] = [_("Choose an active health facility.")]
    name = (data.technique.name_vi if data.technique else data.technique_name).strip()
    if not name:
        errors["technique"] = [_("Name the technique, or choose it from the catalogue.")]
    specialty = data.technique.specialty if data.technique else data.specialty
    if specialty is None:
        errors["specialty"] = [_("Choose the specialty.")]
    level = data.technique.level if data.technique else data.level
    if not level:
        errors["level"] = [_("Choose the technical level the receiver needs.")]
    if data.planned_end < data.agreed_on:
        errors["planned_end"] = [_("The planned end comes after the agreement.")]
    if not 1 <= data.supervised_target <= 500:
        errors["supervised_target"] = [_("Between 1 and 500 supervised cases.")]
    if not 0 <= data.observed_target <= 500:
        errors["observed_target"] = [_("Between 0 and 500 observed cases.")]
    hub_staff = _staff_of(hub.pk, [Role.SPECIALIST, Role.COORDINATOR])
    receiver_staff = _staff_of(receiver.pk, sorted(CLINICAL_ROLES))
    if not data.trainers or any(t.pk not in hub_staff for t in data.trainers):
        errors["trainers"] = [_("The trainers are specialists or coordinators of the hub.")]
    if any(t.pk not in receiver_staff for t in data.trainees):
        errors["trainees"] = [_("The trainees are clinical staff of the receiving facility.")]
    agreement = None
    if data.agreement is not None:
        try:
            agreement = process_upload(data.agreement, "agreement.pdf")
        except ValidationError as exc:
            errors["agreement"] = exc.messages
        else:
            if agreement.content_type != "application/pdf":
                errors["agreement"] = [_("The agreement is a PDF document.")]
    if errors:
        raise ValidationError(errors)
    assert specialty is not None
    transfer = Transfer(
        hub=hub,
        receiver=receiver,
        technique=data.technique,
        technique_name=name[:300],
        technique_code=(data.technique.code if data.technique else data.technique_code).strip()[
            :40
        ],
        specialty=specialty,
        level=level,
        agreement_number=data.agreement_number.strip()[:100],
        agreed_on=data.agreed_on,
        planned_end=data.planned_end,
        observed_target=data.observed_target,
        supervised_target=data.supervised_target,
        created_by=actor,
        client_id=client_id,
    )
    try:
        with transaction.atomic():
            if agreement is not None:
                transfer.agreement.save("agreement.pdf", ContentFile(agreement.content), save=False)
            transfer.save()
            transfer.trainers.set(data.trainers)
            transfer.trainees.set(data.trainees)
            record_step(
                obj=transfer,
                kind=TransferEventKind.AGREED,
                actor=actor,
                action=AuditAction.CREATE,
                purpose="technique transfer",
                audit_detail={"receiver": str(receiver.public_id), "technique": name[:100]},
                origin=origin,
            )
            _tell(transfer, transfer.receiver_id, "transfer.agreed", actor)
    except IntegrityError:
        existing = Transfer.objects.filter(created_by=actor, client_id=client_id).first()
        if existing is None:
            raise
        return existing, False
    return transfer, True


def _tell(t: Transfer, facility_id: int, message: str, actor: User | None) -> None:
    people = User.objects.filter(
        pk__in=_staff_of(facility_id, sorted(CLINICAL_ROLES)), is_active=True
    )
    notify(
        users=people,
        message=message,
        params={"technique": t.technique_name, "hub": t.hub.name, "receiver": t.receiver.name},
        url=t.get_absolute_url(),
        exclude=actor,
    )


def _locked(transfer: Transfer) -> Transfer:
    return (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("hub", "receiver")
        .get(pk=transfer.pk)
    )


def _must_be(t: Transfer, *statuses: str) -> None:
    if t.status not in statuses:
        raise ValidationError(
            _("This step is not possible now: the transfer is at “%(status)s”.")
            % {"status": t.get_status_display()}
        )


def _step(
    t: Transfer,
    status: str,
    kind: str,
    actor: User,
    origin: AuditOrigin,
    fields: Sequence[str] = (),
    detail: dict[str, object] | None = None,
) -> Transfer:
    t.status = status
    record_step(
        obj=t,
        fields=["status", *fields],
        kind=kind,
        actor=actor,
        purpose="technique transfer",
        detail=detail,
        audit_detail={"status": status, **(detail or {})},
        origin=origin,
    )
    return t


def trainees_set(
    *, transfer: Transfer, actor: User, trainees: Sequence[User], origin: AuditOrigin = SYSTEM
) -> Transfer:
    """Who the receiver sends to learn (its clinical staff): the hub or the receiver names
    them, until the sign-off."""
    if not (manages(actor, transfer) or receives(actor, transfer)):
        raise PermissionDenied(_("The hub's or the receiver's staff name the trainees."))
    staff = _staff_of(transfer.receiver_id, sorted(CLINICAL_ROLES))
    if not trainees or any(t.pk not in staff for t in trainees):
        raise ValidationError(
            {"trainees": [_("The trainees are clinical staff of the receiving facility.")]}
        )
    with transaction.atomic():
        t = _locked(transfer)
        if t.status in (
            TransferStatus.SIGNED_OFF,
            TransferStatus.AUTHORISED,
            TransferStatus.CANCELLED,
        ):
            raise ValidationError(_("The trainees no longer change after the sign-off."))
        t.trainees.set(trainees)
        record_step(
            obj=t,
            kind=TransferEventKind.TRAINEES,
            actor=actor,
            purpose="technique transfer",
            detail={"trainees": len(trainees)},
            audit_detail={"trainees": [str(u.public_id) for u in trainees]},
            origin=origin,
        )
    return t


def theory_complete(*, transfer: Transfer, actor: User, origin: AuditOrigin = SYSTEM) -> Transfer:
    """The hub has taught the theory (to the trainees named by then)."""
    if not manages(actor, transfer):
        raise PermissionDenied(_("Only the hub's specialists and coordinators record this step."))
    with transaction.atomic():
        t = _locked(transfer)
        _must_be(t, TransferStatus.AGREED)
        if not t.trainees.exists():
            raise ValidationError(_("Name the receiver's trainees first."))
        return _step(t, TransferStatus.THEORY_DONE, TransferEventKind.THEORY_DONE, actor, origin)


def _count(t: Transfer, kind: str) -> int:
    return t.cases.filter(kind=kind).count()


def observation_complete(
    *, transfer: Transfer, actor: User, origin: AuditOrigin = SYSTEM
) -> Transfer:
    """The trainees have observed the cases the agreement asks."""
    if not manages(actor, transfer):
        raise PermissionDenied(_("Only the hub's specialists and coordinators record this step."))
    with transaction.atomic():
        t = _locked(transfer)
        _must_be(t, TransferStatus.THEORY_DONE)
        observed = _count(t, CaseKind.OBSERVED)
        if observed < t.observed_target:
            raise ValidationError(
                _("%(done)s of %(target)s cases observed: observe the rest first.")
                % {"done": observed, "target": t.observed_target}
            )
        return _step(t, TransferStatus.OBSERVED, TransferEventKind.OBSERVED, actor, origin)


@dataclass(frozen=True)
class CaseInput:
    kind: str
    performed_on: date
    trainee: User
    supervisor: User
    complication: bool = False
    note: str = ""


def case_record(
    *,
    transfer: Transfer,
    actor: User,
    data: CaseInput,
    client_id: uuid.UUID | None = None,
    origin: AuditOrigin = SYSTEM,
) -> tuple[TransferCase, bool]:
    """A case of the transfer, by the hub or the receiver: observed (after the theory) or
    performed by a trainee under a trainer's supervision (after the observation). No patient
    identity. The same ``client_id`` again answers the case it made."""
    if not (manages(actor, transfer) or receives(actor, transfer)):
        raise PermissionDenied(_("The hub's or the receiver's staff record the cases."))
    if client_id is not None:
        existing = TransferCase.objects.filter(recorded_by=actor, client_id=client_id).first()
        if existing is not None:
            return existing, False
    with transaction.atomic():
        t = _locked(transfer)
        needed = {
            CaseKind.OBSERVED: TransferStatus.THEORY_DONE,
            CaseKind.SUPERVISED: TransferStatus.OBSERVED,
        }.get(CaseKind(data.kind) if data.kind in CaseKind.values else None)  # type: ignore[arg-type]
        if needed is None:
            raise ValidationError({"kind": [_("Choose observed or supervised.")]})
        if t.status != needed:
            raise ValidationError(
                _(
                    "Cases observed are logged after the theory; cases under supervision after the observation."
                )
            )
        errors: dict[str, list[str]] = {}
        if not t.agreed_on <= data.performed_on <= timezone.localdate():
            errors["performed_on"] = [_("The date lies between the agreement and today.")]
        if not t.trainers.filter(pk=data.supervisor.pk).exists():
            errors["supervisor"] = [_("The supervisor is one of the hub's trainers.")]
        if not t.trainees.filter(pk=data.trainee.pk).exists():
            errors["trainee"] = [_("The trainee is one of the receiver's trainees.")]
        if errors:
            raise ValidationError(errors)
        case = TransferCase.objects.create(
            transfer=t,
            kind=data.kind,
            performed_on=data.performed_on,
            trainee=data.trainee,
            supervisor=data.supervisor,
            complication=data.complication,
            note=data.note.strip()[:500],
            recorded_by=actor,
            client_id=client_id,
        )
        count = _count(t, data.kind)
        record_step(
            obj=t,
            kind=(
                TransferEventKind.CASE_OBSERVED
                if data.kind == CaseKind.OBSERVED
                else TransferEventKind.CASE_SUPERVISED
            ),
            actor=actor,
            action=AuditAction.CREATE,
            purpose="technique transfer case",
            detail={"count": count},
            audit_detail={"kind": data.kind, "count": count},
            origin=origin,
        )
    return case, True


def assessment_record(
    *,
    transfer: Transfer,
    actor: User,
    passed: bool,
    note: str,
    origin: AuditOrigin = SYSTEM,
) -> Transfer:
    """The hub assesses the trainees' competency once the supervised cases reach the target.
    Not passed: the transfer stays where it is, for more supervised cases."""
    if not manages(actor, transfer):
        raise PermissionDenied(_("Only the hub's specialists and coordinators assess."))
    note = note.strip()
    if len(note) < 5:
        raise ValidationError({"note": [_("Write what the assessment found.")]})
    with transaction.atomic():
        t = _locked(transfer)
        _must_be(t, TransferStatus.OBSERVED)
        done = _count(t, CaseKind.SUPERVISED)
        if done < t.supervised_target:
            raise ValidationError(
                _(
                    "%(done)s of %(target)s cases performed under supervision: the assessment comes after the last."
                )
                % {"done": done, "target": t.supervised_target}
            )
        t.assessment_passed = passed
        t.assessment_note = note[:1000]
        if not passed:
            record_step(
                obj=t,
                fields=["assessment_passed", "assessment_note"],
                kind=TransferEventKind.ASSESSED,
                actor=actor,
                purpose="technique transfer",
                detail={"passed": False},
                audit_detail={"passed": False},
                origin=origin,
            )
            return t
        return _step(
            t,
            TransferStatus.ASSESSED,
            TransferEventKind.ASSESSED,
            actor,
            origin,
            fields=["assessment_passed", "assessment_note"],
            detail={"passed": True},
        )


def sign_off(*, transfer: Transfer, actor: User, origin: AuditOrigin = SYSTEM) -> Transfer:
    """The hub signs the transfer off: after the last supervised case and a passed
    assessment. The receiver is told; its head may then authorise the technique."""
    if not manages(actor, transfer):
        raise PermissionDenied(_("Only the hub's specialists and coordinators sign off."))
    with transaction.atomic():
        t = _locked(transfer)
        done = _count(t, CaseKind.SUPERVISED)
        if t.status == TransferStatus.OBSERVED and done < t.supervised_target:
            raise ValidationError(
                _(
                    "%(done)s of %(target)s cases performed under supervision: no sign-off before the target."
                )
                % {"done": done, "target": t.supervised_target}
            )
        if t.status == TransferStatus.OBSERVED:
            raise ValidationError(_("No sign-off before a passed competency assessment."))
        _must_be(t, TransferStatus.ASSESSED)
        t.signed_off_by = actor
        t.signed_off_at = timezone.now()
        _step(
            t,
            TransferStatus.SIGNED_OFF,
            TransferEventKind.SIGNED_OFF,
            actor,
            origin,
            fields=["signed_off_by", "signed_off_at"],
        )
        _tell(t, t.receiver_id, "transfer.signed_off", actor)
    return t


def report_months(authorised_on: date) -> list[date]:
    """The twelve months the receiver reports: those after the month of the decision."""
    months = []
    year, month = authorised_on.year, authorised_on.month
    for _n in range(REPORT_MONTHS):
        month += 1
        if month == 13:
            year, month = year + 1, 1
        months.append(date(year, month, 1))
    return months


def report_due(month: date) -> datetime:
    """When the report of ``month`` is due: the end of the tenth day of the month after it,
    in Vietnam's time."""
    after = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    due = after + timedelta(days=REPORT_DUE_DAY)
    return datetime(due.year, due.month, due.day, tzinfo=timezone.get_current_timezone())


def authorise(
    *,
    transfer: Transfer,
    actor: User,
    decision_number: str = "",
    on: date | None = None,
    origin: AuditOrigin = SYSTEM,
) -> Transfer:
    """The head of the receiving facility authorises its staff to perform the technique
    independently, after the hub's sign-off. The twelve monthly reports start; each one's
    check is scheduled for its due date."""
    if not heads_receiver(actor, transfer):
        raise PermissionDenied(_("The head of the receiving facility authorises the technique."))
    on = on or timezone.localdate()
    with transaction.atomic():
        t = _locked(transfer)
        if t.status in (
            TransferStatus.AGREED,
            TransferStatus.THEORY_DONE,
            TransferStatus.OBSERVED,
            TransferStatus.ASSESSED,
        ):
            raise ValidationError(_("No authorisation before the hub's sign-off."))
        _must_be(t, TransferStatus.SIGNED_OFF)
        if t.signed_off_at is not None and on < timezone.localdate(t.signed_off_at):
            raise ValidationError({"on": [_("The decision comes after the sign-off.")]})
        t.authorised_by = actor
        t.authorised_on = on
        t.authorisation_number = decision_number.strip()[:100]
        _step(
            t,
            TransferStatus.AUTHORISED,
            TransferEventKind.AUTHORISED,
            actor,
            origin,
            fields=["authorised_by", "authorised_on", "authorisation_number"],
        )
        from caunoi.transfers.tasks import monthly_report_check

        for month in report_months(on):
            monthly_report_check.using(run_after=report_due(month)).enqueue(t.pk, month.isoformat())
        _tell(t, t.hub_id, "transfer.authorised", actor)
    return t


@dataclass(frozen=True)
class ReportInput:
    month: date
    performed: int
    complications: int = 0
    referred_onward: int = 0
    note: str = ""


def report_file(
    *, transfer: Transfer, actor: User, data: ReportInput, origin: AuditOrigin = SYSTEM
) -> tuple[MonthlyReport, bool]:
    """The receiving facility reports one month of the twelve: once it has ended, once per
    month (sending it again answers the first)."""
    if not receives(actor, transfer):
        raise PermissionDenied(_("The receiving facility's staff file its monthly reports."))
    month = data.month.replace(day=1)
    existing = MonthlyReport.objects.filter(transfer=transfer, month=month).first()
    if existing is not None:
        return existing, False
    transfer = Transfer.objects.get(pk=transfer.pk)  # as it stands now, not as the caller read it
    if transfer.status != TransferStatus.AUTHORISED or transfer.authorised_on is None:
        raise ValidationError(_("Monthly reports start once the technique is authorised."))
    errors: dict[str, list[str]] = {}
    if month not in report_months(transfer.authorised_on):
        errors["month"] = [_("Report one of the twelve months after the authorisation.")]
    elif month >= timezone.localdate().replace(day=1):
        errors["month"] = [_("A month is reported once it has ended.")]
    if data.performed < 0 or data.complications < 0 or data.referred_onward < 0:
        errors["performed"] = [_("Counts are zero or more.")]
    elif data.complications > data.performed or data.referred_onward > data.performed:
        errors["complications"] = [
            _("Complications and onward referrals are among the times performed.")
        ]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            report = MonthlyReport.objects.create(
                transfer=transfer,
                month=month,
                performed=data.performed,
                complications=data.complications,
                referred_onward=data.referred_onward,
                note=data.note.strip()[:1000],
                reported_by=actor,
            )
            record_step(
                obj=transfer,
                kind=TransferEventKind.REPORTED,
                actor=actor,
                action=AuditAction.CREATE,
                purpose="technique transfer report",
                detail={"month": month.isoformat(), "performed": data.performed},
                audit_detail={"month": month.isoformat(), "performed": data.performed},
                origin=origin,
            )
    except IntegrityError:
        return MonthlyReport.objects.get(transfer=transfer, month=month), False
    return report, True


def report_flag_overdue(*, transfer_id: int, month: date, now: datetime | None = None) -> bool:
    """Run by the scheduled check at the report's due date: flag the month when its report has
    not come, and tell both sides. Safe to run late or twice."""
    now = now or timezone.now()
    with transaction.atomic():
        t = (
            Transfer.objects.select_for_update(of=("self",))
            .select_related("hub", "receiver")
            .filter(pk=transfer_id, status=TransferStatus.AUTHORISED)
            .first()
        )
        if t is None or report_due(month) > now:
            return False
        if t.reports.filter(month=month).exists() or t.overdue.filter(month=month).exists():
            return False
        OverdueReport.objects.create(transfer=t, month=month)
        record_step(
            obj=t,
            kind=TransferEventKind.REPORT_OVERDUE,
            actor=None,
            purpose="overdue: technique transfer report",
            detail={"month": month.isoformat()},
            audit_detail={"month": month.isoformat()},
        )
        for facility_id in (t.receiver_id, t.hub_id):
            notify(
                users=User.objects.filter(
                    pk__in=_staff_of(facility_id, sorted(CLINICAL_ROLES)), is_active=True
                ),
                message="transfer.report_overdue",
                params={
                    "technique": t.technique_name,
                    "receiver": t.receiver.name,
                    "month": f"{month:%m/%Y}",
                },
                url=t.get_absolute_url(),
            )
    return True
