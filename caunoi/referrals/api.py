from datetime import date, datetime
from typing import Literal
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.params.functions import Header  # typed, unlike ninja's shortcut
from pydantic import ConfigDict

from caunoi.accounts.api_auth import api_user
from caunoi.audit.origin import origin_of
from caunoi.codes.api import DiagnosisOut, diagnosis_out
from caunoi.consults.access import access_consultation
from caunoi.core.api import (
    FieldErrors,
    ListFilters,
    NoFilters,
    Pagination,
    SerializedPage,
    no_filters,
)
from caunoi.network.models import Facility
from caunoi.patients.access import access_patient
from caunoi.referrals.access import access_referral
from caunoi.referrals.forms import icd_codes
from caunoi.referrals.models import DischargeOutcome, Referral, ReferralUrgency, Transport
from caunoi.referrals.selectors import referral_box
from caunoi.referrals.services import (
    ReferralInput,
    referral_accept,
    referral_acknowledge,
    referral_arrive,
    referral_counter_refer,
    referral_create,
    referral_decline,
    referral_discharge,
)

router = Router(tags=["referrals"])


class ReferralIn(Schema):
    model_config = ConfigDict(extra="forbid")
    patient: UUID | None = Field(None, description="Omit when `consult` is given")
    consult: UUID | None = None
    to_facility: UUID
    reason: str = Field(..., min_length=1, max_length=5000)
    clinical_summary: str = Field("", max_length=10000)
    diagnoses: list[str] = Field(default_factory=list, max_length=12)
    treatment_given: str = Field("", max_length=5000)
    urgency: ReferralUrgency = ReferralUrgency.ROUTINE
    transport: Transport = Transport.FAMILY
    accompanying_staff: str = Field("", max_length=200)
    insurance_number: str = Field("", max_length=15)
    departed_at: datetime | None = None


class DeclineIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(..., min_length=1, max_length=2000)


class ArriveIn(Schema):
    model_config = ConfigDict(extra="forbid")
    arrived_at: datetime | None = None


class DischargeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    outcome: DischargeOutcome
    discharged_at: datetime | None = None


class CounterIn(Schema):
    model_config = ConfigDict(extra="forbid")
    diagnosis: str = Field(..., min_length=1, max_length=5000)
    procedures: str = Field("", max_length=5000)
    medication: str = Field("", max_length=5000)
    follow_up: str = Field(..., min_length=1, max_length=5000)
    next_appointment: date | None = None


class ReferralFilters(ListFilters):
    box: Literal["in", "out"] = Field(
        "out", description="`in`: referrals to your facility; `out`: referrals your facility sent"
    )


class PartyOut(Schema):
    """A patient or a facility of a referral: its id and name."""

    id: UUID
    name: str


class CounterReferralOut(Schema):
    diagnosis: str
    procedures: str
    medication: str
    follow_up: str
    next_appointment: date | None
    sent_at: datetime


class ReferralOut(Schema):
    id: UUID
    status: str
    urgency: str
    patient: PartyOut
    from_facility: PartyOut
    to_facility: PartyOut
    consult: UUID | None
    reason: str
    diagnoses: list[str] = Field(description="ICD-10 codes, as sent.")
    diagnosis_titles: list[DiagnosisOut] = Field(
        description="The same codes with their titles, in the request's language."
    )
    sent_at: datetime
    decided_at: datetime | None
    decline_reason: str
    arrived_at: datetime | None
    outcome: str
    discharged_at: datetime | None
    counter_referral: CounterReferralOut | None = Field(
        description="null until the receiving facility sends it."
    )
    acknowledged_at: datetime | None
    overdue: bool
    url: str
    slip_url: str


def referral_out(r: Referral) -> dict[str, object]:
    diagnoses = list(r.diagnoses.all())
    counter = None
    if r.counter_referred_at:
        counter = {
            "diagnosis": r.counter_diagnosis,
            "procedures": r.procedures,
            "medication": r.medication,
            "follow_up": r.follow_up,
            "next_appointment": r.next_appointment,
            "sent_at": r.counter_referred_at,
        }
    return {
        "id": r.public_id,
        "status": r.status,
        "urgency": r.urgency,
        "patient": {"id": r.patient.public_id, "name": r.patient.full_name},
        "from_facility": {"id": r.from_facility.public_id, "name": r.from_facility.name},
        "to_facility": {"id": r.to_facility.public_id, "name": r.to_facility.name},
        "consult": r.consultation.public_id if r.consultation else None,
        "reason": r.reason,
        "diagnoses": [d.code for d in diagnoses],
        "diagnosis_titles": [diagnosis_out(d) for d in diagnoses],
        "sent_at": r.sent_at,
        "decided_at": r.decided_at,
        "decline_reason": r.decline_reason,
        "arrived_at": r.arrived_at,
        "outcome": r.outcome,
        "discharged_at": r.discharged_at,
        "counter_referral": counter,
        "acknowledged_at": r.acknowledged_at,
        "overdue": bool(r.arrival_overdue_at or r.counter_overdue_at),
        "url": r.get_absolute_url(),
        "slip_url": f"{r.get_absolute_url()}slip.pdf",
    }


def _fresh(request: HttpRequest, r: Referral) -> dict[str, object]:
    return referral_out(access_referral(request.user, r.public_id))


@router.post("/referrals", response={201: ReferralOut, 200: ReferralOut}, summary="Refer a patient")
def create_referral(
    request: HttpRequest,
    payload: ReferralIn,
    idempotency_key: UUID = Header(..., alias="Idempotency-Key"),
) -> Status[dict[str, object]]:
    actor = api_user(request)
    consult = access_consultation(actor, payload.consult) if payload.consult else None
    if consult is not None:
        patient = consult.patient
    elif payload.patient is not None:
        patient = access_patient(actor, payload.patient)
    else:
        raise FieldErrors({"patient": _("Give the patient or the consultation.")})
    target = Facility.objects.filter(public_id=payload.to_facility).first()
    if target is None:
        raise FieldErrors({"to_facility": _("Unknown facility.")})
    try:
        diagnoses = icd_codes(", ".join(payload.diagnoses))
    except DjangoValidationError as exc:
        raise FieldErrors({"diagnoses": exc.messages[0]}) from exc
    r, created = referral_create(
        actor=actor,
        client_id=idempotency_key,
        data=ReferralInput(
            patient=patient,
            to_facility=target,
            reason=payload.reason,
            consultation=consult,
            clinical_summary=payload.clinical_summary,
            diagnoses=diagnoses,
            treatment_given=payload.treatment_given,
            urgency=payload.urgency,
            transport=payload.transport,
            accompanying_staff=payload.accompanying_staff,
            insurance_number=payload.insurance_number,
            departed_at=payload.departed_at,
        ),
        origin=origin_of(request),
    )
    return Status(201 if created else 200, _fresh(request, r))


@router.get("/referrals", response=list[ReferralOut], summary="Incoming or sent referrals")
@paginate(Pagination)
def list_referrals(request: HttpRequest, filters: Query[ReferralFilters]) -> SerializedPage:
    """`in`: referrals to your facility; `out`: referrals your facility sent."""
    return SerializedPage(
        referral_box(request.user, filters.box), lambda rows: [referral_out(r) for r in rows]
    )


@router.get("/referrals/{referral_id}", response=ReferralOut, summary="One referral")
def get_referral(
    request: HttpRequest, referral_id: UUID, filters: NoFilters = no_filters()
) -> dict[str, object]:
    return referral_out(access_referral(request.user, referral_id))


@router.post(
    "/referrals/{referral_id}/accept", response=ReferralOut, summary="Accept (receiving facility)"
)
def accept(request: HttpRequest, referral_id: UUID) -> dict[str, object]:
    r = access_referral(request.user, referral_id)
    return _fresh(
        request, referral_accept(referral=r, actor=api_user(request), origin=origin_of(request))
    )


@router.post(
    "/referrals/{referral_id}/decline", response=ReferralOut, summary="Decline with a reason"
)
def decline(request: HttpRequest, referral_id: UUID, payload: DeclineIn) -> dict[str, object]:
    r = access_referral(request.user, referral_id)
    return _fresh(
        request,
        referral_decline(
            referral=r, actor=api_user(request), reason=payload.reason, origin=origin_of(request)
        ),
    )


@router.post("/referrals/{referral_id}/arrive", response=ReferralOut, summary="Record the arrival")
def arrive(request: HttpRequest, referral_id: UUID, payload: ArriveIn) -> dict[str, object]:
    r = access_referral(request.user, referral_id)
    return _fresh(
        request,
        referral_arrive(
            referral=r,
            actor=api_user(request),
            arrived_at=payload.arrived_at,
            origin=origin_of(request),
        ),
    )


@router.post(
    "/referrals/{referral_id}/discharge",
    response=ReferralOut,
    summary="Record the outcome and discharge",
)
def discharge(request: HttpRequest, referral_id: UUID, payload: DischargeIn) -> dict[str, object]:
    r = access_referral(request.user, referral_id)
    return _fresh(
        request,
        referral_discharge(
            referral=r,
            actor=api_user(request),
            outcome=payload.outcome,
            discharged_at=payload.discharged_at,
            origin=origin_of(request),
        ),
    )


@router.post(
    "/referrals/{referral_id}/counter-referral",
    response=ReferralOut,
    summary="Send the counter-referral",
)
def counter_referral(
    request: HttpRequest, referral_id: UUID, payload: CounterIn
) -> dict[str, object]:
    r = access_referral(request.user, referral_id)
    return _fresh(
        request,
        referral_counter_refer(
            referral=r, actor=api_user(request), origin=origin_of(request), **payload.model_dump()
        ),
    )


@router.post(
    "/referrals/{referral_id}/acknowledge",
    response=ReferralOut,
    summary="Acknowledge (referring facility)",
)
def acknowledge(request: HttpRequest, referral_id: UUID) -> dict[str, object]:
    r = access_referral(request.user, referral_id)
    return _fresh(
        request,
        referral_acknowledge(referral=r, actor=api_user(request), origin=origin_of(request)),
    )
