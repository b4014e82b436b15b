"""Every step of a referral. Each transition locks the row, checks the state it starts from and
who may take it, and either changes the referral with its timeline event and audit row, or
refuses with a message and changes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import record_step
from caunoi.codes.models import IcdCode
from caunoi.consults.access import visible_consultations
from caunoi.consults.models import Consultation
from caunoi.network.access import CLINICAL_ROLES, user_scope
from caunoi.network.models import Facility, Membership
from caunoi.notifications.services import notify
from caunoi.patients.models import Patient
from caunoi.referrals.access import referral_permissions
from caunoi.referrals.models import (
    DischargeOutcome,
    Referral,
    ReferralEventKind,
    ReferralStatus,
    ReferralUrgency,
    Transport,
)


@dataclass
class ReferralInput:
    patient: Patient
    to_facility: Facility
    reason: str
    consultation: Consultation | None = None
    clinical_summary: str = ""
    diagnoses: list[IcdCode] = field(default_factory=list)
    treatment_given: str = ""
    urgency: str = ReferralUrgency.ROUTINE
    transport: str = Transport.FAMILY
    accompanying_staff: str = ""
    insurance_number: str = ""
    departed_at: datetime | None = None
    redirected_from: Referral | None = None


def _staff(facility_id: int) -> list[User]:
    ids = (
        Membership.objects.active()
        .filter(facility_id=facility_id, role__in=CLINICAL_ROLES)
        .values("user_id")
    )
    return list(User.objects.filter(id__in=ids, is_active=True))


def _tell(r: Referral, facility_id: int, message: str, actor: User | None) -> None:
    """Notify the staff of one side with ``message`` (a key of the notification messages),
    shown in each reader's language. No patient names: notifications may leave by email."""
    notify(
        users=_staff(facility_id),
        message=message,
        params={"from": r.from_facility.name, "to": r.to_facility.name},
        url=r.get_absolute_url(),
        exclude=actor,
    )


def _schedule(task: Any, referral_id: int, when: datetime) -> None:
    """Inside the caller's transaction: the queue is a table of the same database, so the check
    commits with the referral or not at all."""
    task.using(run_after=when).enqueue(referral_id)


def referral_create(
    *, actor: User, client_id: uuid.UUID, data: ReferralInput, origin: AuditOrigin = SYSTEM
) -> tuple[Referral, bool]:
    """Refer a patient of the actor's facility. Idempotent on (actor, client_id): answers the
    referral and whether this call created it (False for a retry or its concurrent twin)."""
    existing = Referral.objects.filter(created_by=actor, client_id=client_id).first()
    if existing is not None:
        return existing, False
    scope = user_scope(actor)
    patient = data.patient
    errors: dict[str, list[str]] = {}
    if patient.facility_id not in scope.facility_ids:
        errors["patient"] = [_("Refer patients of your own facility.")]
    if data.to_facility.pk == patient.facility_id:
        errors["to_facility"] = [_("Choose another facility than your own.")]
    if data.to_facility.status != "active" or data.to_facility.kind == "health_department":
        errors["to_facility"] = [_("Choose an active health facility.")]
    if data.consultation is not None and (
        data.consultation.patient_id != patient.pk
        or not visible_consultations(actor).filter(pk=data.consultation.pk).exists()
    ):
        errors["consultation"] = [_("That consultation is about another patient.")]
    if not data.reason.strip():
        errors["reason"] = [_("Write the reason for the referral.")]
    if data.urgency not in ReferralUrgency.values:
        errors["urgency"] = [_("Choose the urgency.")]
    if data.transport not in Transport.values:
        errors["transport"] = [_("Choose the transport.")]
    now = timezone.now()
    departed = data.departed_at or now
    if departed > now + timedelta(days=2):
        errors["departed_at"] = [_("The departure is too far ahead.")]
    if (
        data.redirected_from is not None
        and not referral_permissions(actor, data.redirected_from).can_redirect
    ):
        errors["redirected_from"] = [
            _("Only a declined referral of your facility can be redirected.")
        ]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            r = Referral.objects.create(
                client_id=client_id,
                patient=patient,
                consultation=data.consultation,
                redirected_from=data.redirected_from,
                from_facility_id=patient.facility_id,
                to_facility=data.to_facility,
                created_by=actor,
                urgency=data.urgency,
                reason=data.reason.strip(),
                clinical_summary=data.clinical_summary.strip(),
                treatment_given=data.treatment_given.strip(),
                transport=data.transport,
                accompanying_staff=data.accompanying_staff.strip()[:200],
                insurance_number=data.insurance_number or patient.insurance_number,
                sent_at=now,
                departed_at=departed,
            )
            r.diagnoses.set(data.diagnoses)
            record_step(
                obj=r,
                kind=ReferralEventKind.SENT,
                actor=actor,
                detail={"to": r.to_facility.name},
                action=AuditAction.CREATE,
                purpose="referral",
                audit_detail={"to": r.to_facility.name},
                origin=origin,
            )
            _tell(
                r,
                r.to_facility_id,
                "referral.new",
                actor,
            )
            from caunoi.referrals.tasks import referral_arrival_check

            _schedule(
                referral_arrival_check,
                r.pk,
                departed + timedelta(hours=settings.REFERRAL_ARRIVAL_HOURS),
            )
    except IntegrityError:
        winner = Referral.objects.filter(created_by=actor, client_id=client_id).first()
        if winner is None:
            raise
        return winner, False
    return r, True


def _locked(referral: Referral, actor: User, permission: str, wrong_state: str) -> Referral:
    """Lock the row and check, on the fresh row, that this step is allowed now."""
    r = Referral.objects.select_for_update().get(pk=referral.pk)
    perms = referral_permissions(actor, r)
    if not (perms.is_sender or perms.is_receiver):
        raise PermissionDenied(_("This referral is not your facility's."))
    if not getattr(perms, permission):
        raise ValidationError(wrong_state % {"status": r.get_status_display()})
    return r


def referral_accept(*, referral: Referral, actor: User, origin: AuditOrigin = SYSTEM) -> Referral:
    with transaction.atomic():
        r = _locked(
            referral,
            actor,
            "can_decide",
            _("Only a referral waiting for a decision can be accepted (it is: %(status)s)."),
        )
        r.status = ReferralStatus.ACCEPTED
        r.decided_at = timezone.now()
        r.decided_by = actor
        record_step(
            obj=r,
            fields=["status", "decided_at", "decided_by"],
            kind=ReferralEventKind.ACCEPTED,
            actor=actor,
            purpose="referral accepted",
            origin=origin,
        )
        _tell(
            r,
            r.from_facility_id,
            "referral.accepted",
            actor,
        )
    return r


def referral_decline(
    *, referral: Referral, actor: User, reason: str, origin: AuditOrigin = SYSTEM
) -> Referral:
    if not reason.strip():
        raise ValidationError(
            {"reason": [_("Say why the referral is declined, so the station can redirect it.")]}
        )
    with transaction.atomic():
        r = _locked(
            referral,
            actor,
            "can_decide",
            _("Only a referral waiting for a decision can be declined (it is: %(status)s)."),
        )
        r.status = ReferralStatus.DECLINED
        r.decided_at = timezone.now()
        r.decided_by = actor
        r.decline_reason = reason.strip()
        record_step(
            obj=r,
            fields=["status", "decided_at", "decided_by", "decline_reason"],
            kind=ReferralEventKind.DECLINED,
            actor=actor,
            detail={"reason": r.decline_reason},
            purpose="referral declined",
            origin=origin,
        )
        _tell(
            r,
            r.from_facility_id,
            "referral.declined",
            actor,
        )
    return r


def referral_arrive(
    *,
    referral: Referral,
    actor: User,
    arrived_at: datetime | None = None,
    origin: AuditOrigin = SYSTEM,
) -> Referral:
    now = timezone.now()
    when = arrived_at or now
    if when > now + timedelta(minutes=5):
        raise ValidationError({"arrived_at": [_("The arrival time is in the future.")]})
    with transaction.atomic():
        r = _locked(
            referral,
            actor,
            "can_arrive",
            _("Arrival is recorded on an accepted referral (it is: %(status)s)."),
        )
        if when < r.sent_at - timedelta(hours=1):
            raise ValidationError(
                {"arrived_at": [_("The arrival is before the referral was sent.")]}
            )
        r.status = ReferralStatus.ARRIVED
        r.arrived_at = when
        record_step(
            obj=r,
            fields=["status", "arrived_at"],
            kind=ReferralEventKind.ARRIVED,
            actor=actor,
            purpose="patient arrived",
            origin=origin,
        )
    return r


def referral_discharge(
    *,
    referral: Referral,
    actor: User,
    outcome: str,
    discharged_at: datetime | None = None,
    origin: AuditOrigin = SYSTEM,
) -> Referral:
    if outcome not in DischargeOutcome.values:
        raise ValidationError({"outcome": [_("Choose the outcome.")]})
    now = timezone.now()
    when = discharged_at or now
    if when > now + timedelta(minutes=5):
        raise ValidationError({"discharged_at": [_("The discharge time is in the future.")]})
    with transaction.atomic():
        r = _locked(
            referral,
            actor,
            "can_discharge",
            _("Discharge is recorded after the patient arrived (it is: %(status)s)."),
        )
        if r.arrived_at and when < r.arrived_at:
            raise ValidationError({"discharged_at": [_("The discharge is before the arrival.")]})
        r.status = ReferralStatus.DISCHARGED
        r.outcome = outcome
        r.discharged_at = when
        record_step(
            obj=r,
            fields=["status", "outcome", "discharged_at"],
            kind=ReferralEventKind.DISCHARGED,
            actor=actor,
            detail={"outcome": outcome},
            purpose="discharge",
            origin=origin,
        )
        from caunoi.referrals.tasks import referral_counter_check

        _schedule(
            referral_counter_check, r.pk, when + timedelta(days=settings.REFERRAL_COUNTER_DAYS)
        )
    return r


def referral_counter_refer(
    *,
    referral: Referral,
    actor: User,
    diagnosis: str,
    procedures: str = "",
    medication: str = "",
    follow_up: str,
    next_appointment: date | None = None,
    origin: AuditOrigin = SYSTEM,
) -> Referral:
    errors: dict[str, list[str]] = {}
    if not diagnosis.strip():
        errors["diagnosis"] = [_("Write the diagnosis.")]
    if not follow_up.strip():
        errors["follow_up"] = [_("Write the follow-up instructions for the station.")]
    if next_appointment is not None and next_appointment < timezone.localdate():
        errors["next_appointment"] = [_("The next appointment is in the past.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        r = _locked(
            referral,
            actor,
            "can_counter_refer",
            _("The counter-referral is written after discharge (it is: %(status)s)."),
        )
        r.status = ReferralStatus.COUNTER_REFERRED
        r.counter_diagnosis = diagnosis.strip()
        r.procedures = procedures.strip()
        r.medication = medication.strip()
        r.follow_up = follow_up.strip()
        r.next_appointment = next_appointment
        r.counter_referred_at = timezone.now()
        r.counter_referred_by = actor
        fields = ["status", "counter_diagnosis", "procedures", "medication", "follow_up"]
        fields += ["next_appointment", "counter_referred_at", "counter_referred_by"]
        record_step(
            obj=r,
            fields=fields,
            kind=ReferralEventKind.COUNTER_REFERRED,
            actor=actor,
            purpose="counter-referral",
            origin=origin,
        )
        _tell(
            r,
            r.from_facility_id,
            "referral.counter",
            actor,
        )
    return r


def referral_acknowledge(
    *, referral: Referral, actor: User, origin: AuditOrigin = SYSTEM
) -> Referral:
    with transaction.atomic():
        r = _locked(
            referral,
            actor,
            "can_acknowledge",
            _("Only a received counter-referral can be acknowledged (it is: %(status)s)."),
        )
        r.status = ReferralStatus.ACKNOWLEDGED
        r.acknowledged_at = timezone.now()
        record_step(
            obj=r,
            fields=["status", "acknowledged_at"],
            kind=ReferralEventKind.ACKNOWLEDGED,
            actor=actor,
            purpose="loop closed",
            origin=origin,
        )
    return r


def referral_cancel(*, referral: Referral, actor: User, origin: AuditOrigin = SYSTEM) -> Referral:
    with transaction.atomic():
        r = _locked(
            referral,
            actor,
            "can_cancel",
            _("Only a referral not yet decided can be cancelled (it is: %(status)s)."),
        )
        r.status = ReferralStatus.CANCELLED
        record_step(
            obj=r,
            fields=["status"],
            kind=ReferralEventKind.CANCELLED,
            actor=actor,
            purpose="referral cancelled",
            origin=origin,
        )
        _tell(
            r,
            r.to_facility_id,
            "referral.cancelled",
            actor,
        )
    return r


def referral_flag_overdue(*, referral_id: int, which: str) -> bool:
    """Run by the scheduled checks: flag a referral whose patient has not arrived, or whose
    counter-referral has not come, in time; tell both sides. Safe to run late or twice."""
    with transaction.atomic():
        r = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("from_facility", "to_facility")
            .filter(pk=referral_id)
            .first()
        )
        if r is None:
            return False
        now = timezone.now()
        if which == "arrival":
            due = r.departed_at + timedelta(hours=settings.REFERRAL_ARRIVAL_HOURS)
            if (
                r.status not in (ReferralStatus.SENT, ReferralStatus.ACCEPTED)
                or r.arrival_overdue_at
                or due > now
            ):
                return False
            r.arrival_overdue_at = now
            flagged = "arrival_overdue_at"
            kind = ReferralEventKind.OVERDUE_ARRIVAL
            message = "referral.overdue_arrival"
        else:
            if (
                r.status != ReferralStatus.DISCHARGED
                or r.counter_overdue_at
                or r.discharged_at is None
            ):
                return False
            if r.discharged_at + timedelta(days=settings.REFERRAL_COUNTER_DAYS) > now:
                return False
            r.counter_overdue_at = now
            flagged = "counter_overdue_at"
            kind = ReferralEventKind.OVERDUE_COUNTER
            message = "referral.overdue_counter"
        record_step(obj=r, fields=[flagged], kind=kind, actor=None, purpose=f"overdue: {which}")
        for facility_id in (r.from_facility_id, r.to_facility_id):
            _tell(r, facility_id, message, None)
    return True
