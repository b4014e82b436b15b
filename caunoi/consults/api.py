from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.params.functions import Header  # typed, unlike ninja's shortcut
from pydantic import ConfigDict

from caunoi.accounts.http import AuthedRequest
from caunoi.audit.origin import origin_of
from caunoi.codes.api import DiagnosisOut, diagnosis_out
from caunoi.codes.models import IcdCode
from caunoi.consults.access import access_consultation
from caunoi.consults.models import (
    VITALS,
    Attachment,
    Consultation,
    Message,
    Outcome,
    Urgency,
)
from caunoi.consults.selectors import queue, queues_for
from caunoi.consults.services import (
    ConsultationInput,
    Upload,
    advice_record,
    attachments_add,
    citable_protocols,
    consultation_claim,
    consultation_close,
    consultation_submit,
    message_post,
)
from caunoi.core.api import (
    FieldErrors,
    ListFilters,
    NoFilters,
    Pagination,
    SerializedPage,
    no_filters,
)
from caunoi.network.models import Specialty
from caunoi.patients.access import access_patient
from caunoi.protocols.models import ProtocolVersion
from caunoi.triage.api import CheckOut
from caunoi.triage.present import stored_out

router = Router(tags=["consults"])


class Ref(Schema):
    id: UUID
    name: str


class ConsultFilters(ListFilters):
    queue: Literal["mine", "hub", "triage", "overdue"] = "mine"


class ConsultIn(Schema):
    model_config = ConfigDict(extra="forbid")
    patient: UUID
    specialty: str = Field(..., description="Specialty code (GET /api/specialties)")
    urgency: Urgency = Urgency.ROUTINE
    reason: str = Field("", max_length=5000)
    history: str = Field("", max_length=10000)
    examination: str = Field("", max_length=10000)
    current_treatment: str = Field("", max_length=5000)
    question: str = Field("", max_length=5000)
    temperature: Decimal | None = Field(None, description="°C, 30–45")
    pulse: Decimal | None = Field(None, description="beats/min, 20–250")
    systolic: Decimal | None = Field(None, description="mmHg, 50–260")
    diastolic: Decimal | None = Field(None, description="mmHg, 20–160")
    respiratory_rate: Decimal | None = Field(None, description="breaths/min, 4–80")
    spo2: Decimal | None = Field(None, description="%, 50–100")
    weight: Decimal | None = Field(None, description="kg")
    height: Decimal | None = Field(None, description="cm")
    glucose: Decimal | None = Field(None, description="mmol/L")
    consciousness: Literal["A", "C", "V", "P", "U", ""] = Field(
        "", description="ACVPU: A alert, C new confusion, V voice, P pain, U unresponsive"
    )
    signs_found: list[str] = Field(
        default_factory=list,
        max_length=30,
        description="Danger signs seen (ids, POST /api/triage/check lists them in its rules)",
    )
    urgency_reason: str = Field(
        "",
        max_length=2000,
        description="Required when the urgency is lower than the danger signs imply",
    )
    submit: bool = Field(True, description="false keeps a draft")


class MessageIn(Schema):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(..., min_length=1, max_length=10000)
    parent: UUID | None = None


class AdviceIn(Schema):
    model_config = ConfigDict(extra="forbid")
    advice: str = Field(..., min_length=1, max_length=20000)
    outcome: Outcome
    diagnoses: list[str] = Field(default_factory=list, max_length=12, description="ICD-10 codes")
    protocols: list[UUID] = Field(
        default_factory=list,
        max_length=10,
        description="Protocol versions the advice follows (current, published to the station)",
    )


class CloseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    action_taken: str = Field(..., min_length=1, max_length=10000)


class AttachmentOut(Schema):
    id: UUID
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    url: str
    thumbnail_url: str | None


class MessageOut(Schema):
    id: UUID
    author: str
    body: str
    parent: UUID | None
    created_at: datetime
    attachments: list[AttachmentOut]


class EventOut(Schema):
    kind: str
    at: datetime
    actor: str | None


class ConsultListOut(Schema):
    id: UUID
    status: str
    urgency: str
    specialty: str
    patient: Ref
    requester_facility: Ref
    hub: Ref | None
    specialist: str | None
    submitted_at: datetime | None
    deadline_at: datetime | None
    first_response_at: datetime | None
    overdue: bool
    url: str


class VitalsOut(Schema):
    """The vital signs as the station measured them; null when not measured."""

    temperature: Decimal | None = Field(description="°C")
    pulse: Decimal | None = Field(description="beats/min")
    systolic: Decimal | None = Field(description="mmHg")
    diastolic: Decimal | None = Field(description="mmHg")
    respiratory_rate: Decimal | None = Field(description="breaths/min")
    spo2: Decimal | None = Field(description="%")
    weight: Decimal | None = Field(description="kg")
    height: Decimal | None = Field(description="cm")
    glucose: Decimal | None = Field(description="mmol/L")


class CitedProtocolOut(Schema):
    id: UUID = Field(description="The protocol version's id")
    title: str
    version: int
    url: str


class ConsultOut(ConsultListOut):
    reason: str
    history: str
    examination: str
    current_treatment: str
    question: str
    vitals: VitalsOut
    consciousness: str = Field(description="ACVPU, empty when not assessed")
    signs_found: list[str] = Field(description="The danger signs the station ticked")
    danger_signs: CheckOut | None = Field(
        description="The rules' check when it was sent: signs, score, the urgency they imply"
    )
    urgency_reason: str = Field(description="Why it was sent less urgent than the signs imply")
    answered_at: datetime | None
    closed_at: datetime | None
    advice: str
    diagnoses: list[DiagnosisOut]
    recommended_outcome: str
    protocols: list[CitedProtocolOut] = Field(description="The protocols the advice follows")
    action_taken: str
    attachments: list[AttachmentOut]
    messages: list[MessageOut]
    events: list[EventOut]
    minutes_url: str | None


def attachment_out(c: Consultation, a: Attachment) -> dict[str, object]:
    url = reverse("consults:file", kwargs={"public_id": c.public_id, "attachment_id": a.public_id})
    thumb = reverse(
        "consults:thumb", kwargs={"public_id": c.public_id, "attachment_id": a.public_id}
    )
    return {
        "id": a.public_id,
        "name": a.original_name,
        "kind": a.kind,
        "content_type": a.content_type,
        "size": a.size,
        "sha256": a.sha256,
        "width": a.width,
        "height": a.height,
        "url": url,
        "thumbnail_url": thumb if a.thumbnail else None,
    }


def consult_list_out(c: Consultation) -> dict[str, object]:
    return {
        "id": c.public_id,
        "status": c.status,
        "urgency": c.urgency,
        "specialty": c.specialty.code,
        "patient": {"id": c.patient.public_id, "name": c.patient.full_name},
        "requester_facility": {
            "id": c.requester_facility.public_id,
            "name": c.requester_facility.name,
        },
        "hub": {"id": c.hub.public_id, "name": c.hub.name} if c.hub else None,
        "specialist": c.specialist.full_name if c.specialist else None,
        "submitted_at": c.submitted_at,
        "deadline_at": c.deadline_at,
        "first_response_at": c.first_response_at,
        "overdue": c.is_overdue,
        "url": c.get_absolute_url(),
    }


def consult_out(c: Consultation) -> dict[str, object]:
    data = consult_list_out(c)
    messages = (
        Message.objects.filter(consultation=c)
        .select_related("author", "parent")
        .prefetch_related("attachments")
    )
    data.update(
        {
            "reason": c.reason,
            "history": c.history,
            "examination": c.examination,
            "current_treatment": c.current_treatment,
            "question": c.question,
            "vitals": {name: getattr(c, name) for name in VITALS},
            "consciousness": c.consciousness,
            "signs_found": c.signs_found,
            "danger_signs": stored_out(c.triage),
            "urgency_reason": c.urgency_reason,
            "answered_at": c.answered_at,
            "closed_at": c.closed_at,
            "advice": c.advice,
            "diagnoses": [diagnosis_out(d) for d in c.diagnoses.all()],
            "recommended_outcome": c.recommended_outcome,
            "protocols": [
                {
                    "id": v.public_id,
                    "title": v.protocol.title,
                    "version": v.number,
                    "url": v.get_absolute_url(),
                }
                for v in c.cited_protocols.select_related("protocol")
            ],
            "action_taken": c.action_taken,
            "attachments": [
                attachment_out(c, a) for a in c.attachments.filter(message__isnull=True)
            ],
            "messages": [
                {
                    "id": m.public_id,
                    "author": m.author.full_name,
                    "body": m.body,
                    "parent": m.parent.public_id if m.parent else None,
                    "created_at": m.created_at,
                    "attachments": [attachment_out(c, a) for a in m.attachments.all()],
                }
                for m in messages
            ],
            "events": [
                {"kind": e.kind, "at": e.at, "actor": e.actor.full_name if e.actor else None}
                for e in c.events.select_related("actor")
            ],
            "minutes_url": reverse("consults:minutes", kwargs={"public_id": c.public_id})
            if c.status == "closed"
            else None,
        }
    )
    return data


def _detail(request: HttpRequest, c: Consultation) -> dict[str, object]:
    fresh = access_consultation(request.user, c.public_id)
    return consult_out(fresh)


@router.post("/consults", response={201: ConsultOut, 200: ConsultOut}, summary="Ask a specialist")
def create_consult(
    request: AuthedRequest,
    payload: ConsultIn,
    idempotency_key: UUID = Header(..., alias="Idempotency-Key"),
) -> Status[dict[str, object]]:
    """Creates (and by default submits) a consultation. The `Idempotency-Key` header (a UUID the
    client generates once per consultation) is required: retrying with the same key returns the
    same consultation (200) instead of creating another (201)."""
    patient = access_patient(request.user, payload.patient)
    specialty = Specialty.objects.filter(code=payload.specialty).first()
    if specialty is None:
        raise FieldErrors({"specialty": _("Unknown specialty code.")})
    summary = payload.model_dump(
        exclude={
            "patient",
            "specialty",
            "urgency",
            "submit",
            "consciousness",
            "signs_found",
            "urgency_reason",
        }
    )
    c, created = consultation_submit(
        actor=request.user,
        client_id=idempotency_key,
        data=ConsultationInput(
            patient=patient,
            specialty=specialty,
            urgency=payload.urgency,
            summary=summary,
            consciousness=payload.consciousness,
            signs_found=payload.signs_found,
            urgency_reason=payload.urgency_reason,
        ),
        submit=payload.submit,
        origin=origin_of(request),
    )
    if created:
        # The row the service just wrote, with the patient, facility, specialty and hub it was
        # given (the patient read through access_patient above, the creation audited there):
        # no second access check and read row for what the caller has just sent.
        return Status(201, consult_out(c))
    return Status(200, _detail(request, c))


@router.get("/consults", response=list[ConsultListOut], summary="Your consultation queues")
@paginate(Pagination)
def list_consults(request: HttpRequest, filters: Query[ConsultFilters]) -> SerializedPage:
    """`mine`: your facility's consultations (and those assigned to you); `hub`: waiting in your
    specialty at your hub; `triage`: everything open at the hubs you coordinate; `overdue`:
    open and past the answer deadline."""
    name = filters.queue if filters.queue in queues_for(request.user) else "none"
    return SerializedPage(queue(request.user, name), _consult_rows)


def _consult_rows(rows: list[Consultation]) -> list[dict[str, object]]:
    return [consult_list_out(c) for c in rows]


@router.get("/consults/{consult_id}", response=ConsultOut, summary="One consultation")
def get_consult(
    request: HttpRequest, consult_id: UUID, filters: NoFilters = no_filters()
) -> dict[str, object]:
    return consult_out(access_consultation(request.user, consult_id))


@router.post(
    "/consults/{consult_id}/attachments",
    response={201: list[AttachmentOut]},
    summary="Add photos or documents",
)
def add_attachments(
    request: AuthedRequest, consult_id: UUID, attachments: File[list[UploadedFile]]
) -> Status[list[dict[str, object]]]:
    """Multipart upload, field name `attachments` (one or more). The type is read from the content:
    JPEG, PNG, WebP, GIF images (re-encoded without EXIF) and PDF documents."""
    c = access_consultation(request.user, consult_id)
    uploads = [Upload(name=f.name or "file", data=f.read()) for f in attachments]
    added = attachments_add(
        consultation=c, actor=request.user, uploads=uploads, origin=origin_of(request)
    )
    return Status(201, [attachment_out(c, a) for a in added])


@router.post(
    "/consults/{consult_id}/messages",
    response={201: MessageOut, 200: MessageOut},
    summary="Write in the thread",
)
def post_message(
    request: AuthedRequest,
    consult_id: UUID,
    payload: MessageIn,
    idempotency_key: UUID | None = Header(None, alias="Idempotency-Key"),
) -> Status[dict[str, object]]:
    """Send an `Idempotency-Key` (a UUID the client generates once per message) to make a
    retry safe: the call that creates the message answers 201, every replay 200 with the same
    message."""
    c = access_consultation(request.user, consult_id)
    parent = None
    if payload.parent is not None:
        parent = Message.objects.filter(consultation=c, public_id=payload.parent).first()
        if parent is None:
            raise FieldErrors({"parent": _("That message belongs to another consultation.")})
    m, created = message_post(
        consultation=c,
        actor=request.user,
        body=payload.body,
        parent=parent,
        client_id=idempotency_key,
        origin=origin_of(request),
    )
    return Status(
        201 if created else 200,
        {
            "id": m.public_id,
            "author": m.author.get_full_name(),
            "body": m.body,
            "parent": m.parent.public_id if m.parent else None,
            "created_at": m.created_at,
            "attachments": [],
        },
    )


@router.post(
    "/consults/{consult_id}/claim", response=ConsultOut, summary="Take a waiting consultation"
)
def claim(request: AuthedRequest, consult_id: UUID) -> dict[str, object]:
    c = access_consultation(request.user, consult_id)
    return _detail(
        request, consultation_claim(consultation=c, actor=request.user, origin=origin_of(request))
    )


@router.post("/consults/{consult_id}/advice", response=ConsultOut, summary="Give advice")
def advise(request: AuthedRequest, consult_id: UUID, payload: AdviceIn) -> dict[str, object]:
    c = access_consultation(request.user, consult_id)
    codes = [code.strip().upper() for code in payload.diagnoses if code.strip()]
    found = {i.code: i for i in IcdCode.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise FieldErrors(
            {"diagnoses": _("Not ICD-10 codes: %(codes)s.") % {"codes": ", ".join(unknown)}}
        )
    advice_record(
        consultation=c,
        actor=request.user,
        advice=payload.advice,
        outcome=payload.outcome,
        diagnoses=[found[code] for code in dict.fromkeys(codes)],
        protocols=_cited(c, payload.protocols),
        origin=origin_of(request),
    )
    return _detail(request, c)


def _cited(c: Consultation, ids: list[UUID]) -> list[ProtocolVersion]:
    versions = list(citable_protocols(c).filter(public_id__in=ids))
    if len(versions) != len(set(ids)):
        raise FieldErrors(
            {"protocols": _("Cite a current protocol published to the requesting facility.")}
        )
    return versions


@router.post("/consults/{consult_id}/close", response=ConsultOut, summary="Acknowledge and close")
def close(request: AuthedRequest, consult_id: UUID, payload: CloseIn) -> dict[str, object]:
    c = access_consultation(request.user, consult_id)
    consultation_close(
        consultation=c,
        actor=request.user,
        action_taken=payload.action_taken,
        origin=origin_of(request),
    )
    return _detail(request, c)
