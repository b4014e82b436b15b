"""The clinical workflow as FHIR: a teleconsultation and a referral each as a ServiceRequest (what
is asked) and a Task (who does it, and how far it is), the consultation's messages and the
counter-referral as Communication, its attachments as DocumentReference with their Binary, a
video session as an Encounter (class VR).

Every row comes through its app's access helper (``visible_consultations``,
``visible_referrals``, ``visible_sessions``): what a caller could not open as a page is 404 here
and absent from searches. Rows read through a related consultation (messages, attachments) are
noted in the request's read log (``patients.reads.reads_note``), so they are audited like the
consultation's page.

**Decision (the counter-referral):** a Communication — it is the receiving facility's message
back to the station (diagnosis, procedures, medication, follow-up, next appointment), sent to
the referring facility, ``basedOn`` the referral's ServiceRequest; its id is the referral's,
prefixed ``counter-``. A DocumentReference would suit a document; this is structured text.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.audit.origin import AuditOrigin
from caunoi.consults.access import visible_consultations
from caunoi.consults.models import Attachment, Consultation, Message
from caunoi.consults.models import Status as ConsultStatus
from caunoi.consults.services import (
    ConsultationInput,
    consultation_claim,
    consultation_submit,
    message_post,
)
from caunoi.fhir.directory import (
    CAUNOI,
    PLATFORM_ID,
    SPECIALTY_SYSTEM,
    _meta,
    coding,
    instant,
    ref,
)
from caunoi.fhir.http import FhirError
from caunoi.fhir.search import (
    NOTHING,
    Param,
    ResourceType,
    Source,
    date_q,
    reference_id,
    token,
)
from caunoi.fhir.vitals import observation_refs, summary_from
from caunoi.network.models import Facility, Specialty
from caunoi.patients.access import visible_patients
from caunoi.patients.reads import reads_note
from caunoi.referrals.access import visible_referrals
from caunoi.referrals.models import Referral, ReferralStatus
from caunoi.referrals.services import (
    ReferralInput,
    referral_accept,
    referral_arrive,
    referral_create,
    referral_decline,
)
from caunoi.video.access import visible_sessions
from caunoi.video.models import SessionStatus, VideoSession

KIND_SYSTEM = f"{CAUNOI}/CodeSystem/request-kind"
STATUS_SYSTEM = f"{CAUNOI}/CodeSystem/workflow-status"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
COUNTER_PREFIX = "counter-"

# Every clinical type that is searched also gives its history since a moment (as the directory).
HISTORY_INTERACTIONS = ("read", "vread", "search-type", "history-type")

PRIORITY = {"emergency": "stat", "urgent": "urgent", "routine": "routine"}

CONSULT_REQUEST_STATUS = {
    ConsultStatus.DRAFT: "draft",
    ConsultStatus.SUBMITTED: "active",
    ConsultStatus.ASSIGNED: "active",
    ConsultStatus.ANSWERED: "active",
    ConsultStatus.CLOSED: "completed",
    ConsultStatus.CANCELLED: "revoked",
}
CONSULT_TASK_STATUS = {
    ConsultStatus.DRAFT: "draft",
    ConsultStatus.SUBMITTED: "requested",
    ConsultStatus.ASSIGNED: "accepted",
    ConsultStatus.ANSWERED: "completed",
    ConsultStatus.CLOSED: "completed",
    ConsultStatus.CANCELLED: "cancelled",
}
REFERRAL_REQUEST_STATUS = {
    ReferralStatus.SENT: "active",
    ReferralStatus.ACCEPTED: "active",
    ReferralStatus.ARRIVED: "active",
    ReferralStatus.DECLINED: "revoked",
    ReferralStatus.DISCHARGED: "active",
    ReferralStatus.COUNTER_REFERRED: "completed",
    ReferralStatus.ACKNOWLEDGED: "completed",
    ReferralStatus.CANCELLED: "revoked",
}
REFERRAL_TASK_STATUS = {
    ReferralStatus.SENT: "requested",
    ReferralStatus.ACCEPTED: "accepted",
    ReferralStatus.DECLINED: "rejected",
    ReferralStatus.ARRIVED: "in-progress",
    ReferralStatus.DISCHARGED: "in-progress",
    ReferralStatus.COUNTER_REFERRED: "completed",
    ReferralStatus.ACKNOWLEDGED: "completed",
    ReferralStatus.CANCELLED: "cancelled",
}


def _who(user: User | None) -> dict[str, str] | None:
    return ref("Practitioner", str(user.public_id), user.full_name) if user is not None else None


def _clean(resource: dict[str, Any]) -> dict[str, Any]:
    """Without the elements that hold nothing (FHIR has no empty values)."""
    return {k: v for k, v in resource.items() if v not in (None, "", [], {})}


# --- the rows ---------------------------------------------------------------------------------


# **Speed (decision):** at most three relations joined, the others fetched per page by
# ``prefetch_related`` (one small query each). PostgreSQL's planner spends time that grows
# steeply with the joins: beside the access rules' subqueries, six joined relations cost 9.5 ms
# of planning for a 0.4 ms query, seven 19.5 ms (a patient's ServiceRequests, at a million rows).


def consultations(user: User) -> QuerySet[Consultation]:
    return (
        visible_consultations(user)
        .select_related("patient", "specialty", "hub")
        .prefetch_related("requester", "specialist")
    )


def referrals(user: User) -> QuerySet[Referral]:
    return (
        visible_referrals(user)
        .select_related("patient", "to_facility")
        .prefetch_related(
            "from_facility", "created_by", "consultation", "decided_by", "counter_referred_by"
        )
    )


def messages(user: User) -> QuerySet[Message]:
    return Message.objects.filter(
        consultation__in=visible_consultations(user).values("pk")
    ).select_related("consultation", "consultation__patient", "author", "parent")


def counter_referrals(user: User) -> QuerySet[Referral]:
    return referrals(user).filter(counter_referred_at__isnull=False)


def attachments(user: User) -> QuerySet[Attachment]:
    return Attachment.objects.filter(
        consultation__in=visible_consultations(user).values("pk")
    ).select_related("consultation", "consultation__patient", "uploaded_by")


def sessions(user: User) -> QuerySet[VideoSession]:
    return visible_sessions(user).select_related("consultation", "consultation__patient")


# --- ServiceRequest and Task -------------------------------------------------------------------


def consult_request(c: Consultation) -> dict[str, Any]:
    performer = [ref("Organization", str(c.hub.public_id), c.hub.name)] if c.hub else []
    if c.specialist is not None:
        performer.append(ref("Practitioner", str(c.specialist.public_id), c.specialist.full_name))
    return _clean(
        {
            "resourceType": "ServiceRequest",
            "id": str(c.public_id),
            "meta": _meta(c.updated_at),
            "identifier": [{"system": PLATFORM_ID, "value": str(c.public_id)}],
            "status": CONSULT_REQUEST_STATUS[ConsultStatus(c.status)],
            "intent": "order",
            "category": [{"coding": [coding(KIND_SYSTEM, "teleconsultation", "Hội chẩn từ xa")]}],
            "priority": PRIORITY[c.urgency],
            "code": {"text": f"Hội chẩn từ xa – {c.specialty.name_vi}"},
            "subject": ref("Patient", str(c.patient.public_id), c.patient.full_name),
            "authoredOn": instant(c.submitted_at) if c.submitted_at else None,
            "requester": _who(c.requester),
            "performer": performer,
            "reasonCode": [{"text": c.reason}] if c.reason else [],
            "supportingInfo": observation_refs(c),
            "note": [{"text": c.question}] if c.question else [],
        }
    )


def referral_request(r: Referral) -> dict[str, Any]:
    return _clean(
        {
            "resourceType": "ServiceRequest",
            "id": str(r.public_id),
            "meta": _meta(r.updated_at),
            "identifier": [{"system": PLATFORM_ID, "value": str(r.public_id)}],
            "basedOn": [ref("ServiceRequest", str(r.consultation.public_id))]
            if r.consultation
            else [],
            "status": REFERRAL_REQUEST_STATUS[ReferralStatus(r.status)],
            "intent": "order",
            "category": [{"coding": [coding(KIND_SYSTEM, "referral", "Chuyển tuyến")]}],
            "priority": PRIORITY[r.urgency],
            "code": {"text": "Chuyển tuyến"},
            "subject": ref("Patient", str(r.patient.public_id), r.patient.full_name),
            "authoredOn": instant(r.sent_at),
            "requester": _who(r.created_by),
            "performer": [ref("Organization", str(r.to_facility.public_id), r.to_facility.name)],
            "reasonCode": [{"text": r.reason}],
            "note": [{"text": r.clinical_summary}] if r.clinical_summary else [],
        }
    )


def _business(status: str, label: str) -> dict[str, Any]:
    return {"coding": [coding(STATUS_SYSTEM, status, label)], "text": label}


def consult_task(c: Consultation) -> dict[str, Any]:
    return _clean(
        {
            "resourceType": "Task",
            "id": str(c.public_id),
            "meta": _meta(c.updated_at),
            "identifier": [{"system": PLATFORM_ID, "value": str(c.public_id)}],
            "basedOn": [ref("ServiceRequest", str(c.public_id))],
            "status": CONSULT_TASK_STATUS[ConsultStatus(c.status)],
            "businessStatus": _business(c.status, c.get_status_display()),
            "intent": "order",
            "priority": PRIORITY[c.urgency],
            "focus": ref("ServiceRequest", str(c.public_id)),
            "for": ref("Patient", str(c.patient.public_id), c.patient.full_name),
            "authoredOn": instant(c.submitted_at) if c.submitted_at else None,
            "lastModified": instant(c.updated_at),
            "requester": _who(c.requester),
            "owner": _who(c.specialist)
            or (ref("Organization", str(c.hub.public_id), c.hub.name) if c.hub else None),
            "restriction": {"period": {"end": instant(c.deadline_at)}} if c.deadline_at else None,
        }
    )


def referral_task(r: Referral) -> dict[str, Any]:
    out = {
        "resourceType": "Task",
        "id": str(r.public_id),
        "meta": _meta(r.updated_at),
        "identifier": [{"system": PLATFORM_ID, "value": str(r.public_id)}],
        "basedOn": [ref("ServiceRequest", str(r.public_id))],
        "status": REFERRAL_TASK_STATUS[ReferralStatus(r.status)],
        "businessStatus": _business(r.status, r.get_status_display()),
        "intent": "order",
        "priority": PRIORITY[r.urgency],
        "focus": ref("ServiceRequest", str(r.public_id)),
        "for": ref("Patient", str(r.patient.public_id), r.patient.full_name),
        "authoredOn": instant(r.sent_at),
        "lastModified": instant(r.updated_at),
        "requester": _who(r.created_by),
        "owner": ref("Organization", str(r.to_facility.public_id), r.to_facility.name),
        "statusReason": {"text": r.decline_reason} if r.decline_reason else None,
    }
    return _clean(out)


# --- Communication: messages and counter-referrals -------------------------------------------


def message_communication(m: Message) -> dict[str, Any]:
    reads_note(Consultation, [m.consultation_id], purpose="teleconsultation")
    c = m.consultation
    return _clean(
        {
            "resourceType": "Communication",
            "id": str(m.public_id),
            "meta": _meta(m.created_at),
            "basedOn": [ref("ServiceRequest", str(c.public_id))],
            "partOf": [ref("Task", str(c.public_id))],
            "inResponseTo": [ref("Communication", str(m.parent.public_id))]
            if m.parent is not None
            else [],
            "status": "completed",
            "category": [{"coding": [coding(KIND_SYSTEM, "teleconsultation", "Hội chẩn từ xa")]}],
            "subject": ref("Patient", str(c.patient.public_id), c.patient.full_name),
            "sent": instant(m.created_at),
            "sender": _who(m.author),
            "payload": [{"contentString": m.body}],
        }
    )


def counter_communication(r: Referral) -> dict[str, Any]:
    parts = [
        ("Chẩn đoán", r.counter_diagnosis),
        ("Thủ thuật", r.procedures),
        ("Thuốc", r.medication),
        ("Hướng dẫn theo dõi", r.follow_up),
        ("Hẹn tái khám", f"{r.next_appointment:%d/%m/%Y}" if r.next_appointment else ""),
    ]
    assert r.counter_referred_at is not None
    return _clean(
        {
            "resourceType": "Communication",
            "id": f"{COUNTER_PREFIX}{r.public_id}",
            "meta": _meta(r.updated_at),
            "basedOn": [ref("ServiceRequest", str(r.public_id))],
            "partOf": [ref("Task", str(r.public_id))],
            "status": "completed",
            "category": [
                {"coding": [coding(KIND_SYSTEM, "counter-referral", "Phiếu chuyển tuyến trả về")]}
            ],
            "subject": ref("Patient", str(r.patient.public_id), r.patient.full_name),
            "sent": instant(r.counter_referred_at),
            "sender": _who(r.counter_referred_by),
            "recipient": [
                ref("Organization", str(r.from_facility.public_id), r.from_facility.name)
            ],
            "payload": [{"contentString": f"{label}: {text}"} for label, text in parts if text],
        }
    )


# --- DocumentReference and Binary: attachments ------------------------------------------------


def document_reference(a: Attachment) -> dict[str, Any]:
    reads_note(Consultation, [a.consultation_id], purpose="teleconsultation")
    c = a.consultation
    return _clean(
        {
            "resourceType": "DocumentReference",
            "id": str(a.public_id),
            "meta": _meta(a.created_at),
            "status": "current",
            "type": {"text": a.get_kind_display()},
            "subject": ref("Patient", str(c.patient.public_id), c.patient.full_name),
            "date": instant(a.created_at),
            "author": [_who(a.uploaded_by)] if a.uploaded_by else [],
            "content": [
                {
                    "attachment": {
                        "contentType": a.content_type,
                        "url": f"Binary/{a.public_id}",
                        "size": a.size,
                        "title": a.original_name,
                        "creation": instant(a.created_at),
                    }
                }
            ],
            "context": {"related": [ref("ServiceRequest", str(c.public_id))]},
        }
    )


def binary(a: Attachment) -> dict[str, Any]:
    reads_note(Consultation, [a.consultation_id], purpose="teleconsultation")
    with a.file.open("rb") as stored:
        data = base64.b64encode(stored.read()).decode()
    return {
        "resourceType": "Binary",
        "id": str(a.public_id),
        "meta": _meta(a.created_at),
        "contentType": a.content_type,
        "data": data,
    }


# --- Encounter: video sessions ---------------------------------------------------------------

ENCOUNTER_STATUS = {
    SessionStatus.SCHEDULED: "planned",
    SessionStatus.LIVE: "in-progress",
    SessionStatus.ENDED: "finished",
    SessionStatus.CANCELLED: "cancelled",
}


def encounter(s: VideoSession) -> dict[str, Any]:
    period: dict[str, str] = {}
    if s.started_at:
        period["start"] = instant(s.started_at)
    if s.ended_at:
        period["end"] = instant(s.ended_at)
    c = s.consultation
    return _clean(
        {
            "resourceType": "Encounter",
            "id": str(s.public_id),
            "meta": _meta(s.updated_at),
            "status": ENCOUNTER_STATUS[SessionStatus(s.status)],
            "class": coding(ACT_CODE, "VR", "virtual"),
            "type": [{"text": s.title}],
            "subject": ref("Patient", str(c.patient.public_id), c.patient.full_name) if c else None,
            "basedOn": [ref("ServiceRequest", str(c.public_id))] if c else [],
            "period": period,
            # How long it lasted: known once it has ended.
            "length": {
                "value": round((s.ended_at - s.started_at).total_seconds() / 60),
                "unit": "min",
                "system": "http://unitsofmeasure.org",
                "code": "min",
            }
            if s.started_at and s.ended_at
            else None,
        }
    )


# --- writes: a referral made from a ServiceRequest; a Task moved on -----------------------------

CLIENT_ID = f"{CAUNOI}/sid/client-id"
URGENCY = {fhir: ours for ours, fhir in PRIORITY.items()}


def _reference(value: Any, kind: str, where: str) -> str:
    text = value.get("reference", "") if isinstance(value, dict) else ""
    ident = reference_id(text, kind) if isinstance(text, str) else ""
    if not ident:
        raise FhirError(
            422,
            "processing",
            _("%(where)s must reference a %(kind)s.") % {"where": where, "kind": kind},
            where,
        )
    return ident


def create_request(
    body: dict[str, Any], user: User, *, criteria: str, origin: AuditOrigin
) -> tuple[dict[str, Any], bool]:
    """A ServiceRequest made: of category ``teleconsultation``, a consultation asked
    (``_ask_consultation``); of category ``referral``, the caller's facility refers its patient
    to ``performer`` (an Organization) through the referrals app's service. An identifier under
    ``…/sid/client-id`` (a UUID) makes either idempotent, as the platform's other forms."""
    if criteria:
        raise FhirError(400, "not-supported", _("ServiceRequest takes no If-None-Exist here."))
    codes = {
        c.get("code")
        for cat in body.get("category") or []
        if isinstance(cat, dict)
        for c in cat.get("coding") or []
        if isinstance(c, dict)
    }
    if "teleconsultation" in codes:
        return _ask_consultation(body, user, origin=origin)
    if "referral" not in codes:
        raise FhirError(
            422,
            "processing",
            _("Give the category: referral or teleconsultation."),
            "ServiceRequest.category",
        )
    patient = get_or_fhir_404(
        visible_patients(user),
        _reference(body.get("subject"), "Patient", "ServiceRequest.subject"),
        "Patient",
    )
    performers = body.get("performer") or [None]
    performer = performers[0] if isinstance(performers, list) else None
    facility = _row(
        Facility.objects.all(),
        _reference(performer, "Organization", "ServiceRequest.performer"),
    )
    if facility is None:
        raise FhirError(
            422,
            "processing",
            _("The receiving facility does not exist."),
            "ServiceRequest.performer",
        )
    reason = " ".join(_texts(body.get("reasonCode"), "ServiceRequest.reasonCode")).strip()
    summary = " ".join(_texts(body.get("note"), "ServiceRequest.note"))
    consultation = None
    for based in body.get("basedOn") or []:
        ident = _reference(based, "ServiceRequest", "ServiceRequest.basedOn")
        consultation = _row(consultations(user), ident)
        if consultation is None:
            raise FhirError(
                422, "processing", _("The consultation it is based on is not one you can see.")
            )
    client_id = _client_id(body)
    priority = body.get("priority", "routine")
    if not isinstance(priority, str) or priority not in URGENCY:
        raise FhirError(
            422,
            "processing",
            _("The priority is stat, urgent or routine."),
            "ServiceRequest.priority",
        )
    with service_refusals():
        referral, created = referral_create(
            actor=user,
            client_id=client_id,
            data=ReferralInput(
                patient=patient,
                to_facility=facility,
                reason=reason,
                consultation=consultation,
                clinical_summary=summary,
                urgency=URGENCY[priority],
            ),
            origin=origin,
        )
    return referral_request(referrals(user).get(pk=referral.pk)), created


@contextmanager
def service_refusals() -> Iterator[None]:
    """A service's refusal as FHIR answers it: a rule broken is 422, a permission lacking 403;
    the service changed nothing."""
    try:
        yield
    except ValidationError as exc:
        raise FhirError(422, "processing", " ".join(exc.messages)) from exc
    except PermissionDenied as exc:
        raise FhirError(403, "forbidden", str(exc) or _("You cannot do this.")) from exc


def _row(qs: QuerySet[Any], ident: str) -> Any:
    """The row of ``qs`` whose public id is ``ident``, or None (also for a malformed id)."""
    public_id = _as_uuid(ident)
    return qs.filter(public_id=public_id).first() if public_id is not None else None


def _texts(items: Any, where: str) -> list[str]:
    """The ``text`` of each object of a list (CodeableConcept, Annotation)."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise FhirError(400, "structure", _("%(what)s must be a list.") % {"what": where}, where)
    texts = []
    for item in items:
        text = item.get("text", "") if isinstance(item, dict) else None
        if not isinstance(text, str):
            raise FhirError(
                400, "structure", _("%(where)s must be a string.") % {"where": where}, where
            )
        texts.append(text)
    return texts


def _client_id(body: dict[str, Any]) -> uuid.UUID:
    """The request's idempotency key: an identifier under ``…/sid/client-id``, else a new one
    (then a retry makes a second request, as any create without a condition)."""
    for ident in body.get("identifier") or []:
        if isinstance(ident, dict) and ident.get("system") == CLIENT_ID:
            try:
                return uuid.UUID(str(ident.get("value")))
            except ValueError as exc:
                raise FhirError(
                    400,
                    "invalid",
                    _("A client-id identifier is a UUID."),
                    "ServiceRequest.identifier",
                ) from exc
    return uuid.uuid4()


def _ask_consultation(
    body: dict[str, Any], user: User, *, origin: AuditOrigin
) -> tuple[dict[str, Any], bool]:
    """A ServiceRequest of category ``teleconsultation``: the caller's station asks the hub that
    supports it in the specialty (``code``, a specialty code), through the consults app's
    service — which routes it, checks the patient's consent and starts the deadline. The
    reason is ``reasonCode``'s text, the question ``note``'s; the history, examination,
    treatment and vital signs are ``contained`` Observations referenced from
    ``supportingInfo`` (``vitals.summary_from``)."""
    patient = get_or_fhir_404(
        visible_patients(user),
        _reference(body.get("subject"), "Patient", "ServiceRequest.subject"),
        "Patient",
    )
    code = body.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    wanted = [
        c.get("code")
        for c in codings or []
        if isinstance(c, dict) and c.get("system") in (SPECIALTY_SYSTEM, None)
    ]
    specialty = Specialty.objects.filter(code__in=[w for w in wanted if isinstance(w, str)]).first()
    if specialty is None:
        raise FhirError(
            422,
            "processing",
            _("Give the specialty in ServiceRequest.code (a specialty code of the platform)."),
            "ServiceRequest.code",
        )
    priority = body.get("priority", "routine")
    if not isinstance(priority, str) or priority not in URGENCY:
        raise FhirError(
            422,
            "processing",
            _("The priority is stat, urgent or routine."),
            "ServiceRequest.priority",
        )
    summary = {
        **summary_from(body),
        "reason": " ".join(_texts(body.get("reasonCode"), "ServiceRequest.reasonCode")).strip(),
        "question": "\n".join(_texts(body.get("note"), "ServiceRequest.note")).strip(),
    }
    with service_refusals():
        consultation, created = consultation_submit(
            actor=user,
            client_id=_client_id(body),
            data=ConsultationInput(
                patient=patient, specialty=specialty, urgency=URGENCY[priority], summary=summary
            ),
            submit=True,
            origin=origin,
        )
    return consult_request(consultations(user).get(pk=consultation.pk)), created


def create_communication(
    body: dict[str, Any], user: User, *, criteria: str, origin: AuditOrigin
) -> tuple[dict[str, Any], bool]:
    """A message written in a consultation's thread (``basedOn`` its ServiceRequest; a reply
    when ``inResponseTo`` names a message of the same thread), through the consults app's
    ``message_post`` — who may write there, the first response of the hub, the notifications.
    Text only (``payload.contentString``): files are attached on the platform. An identifier
    under ``…/sid/client-id`` makes it idempotent."""
    if criteria:
        raise FhirError(400, "not-supported", _("Communication takes no If-None-Exist here."))
    based = body.get("basedOn") or [None]
    consultation = get_or_fhir_404(
        consultations(user),
        _reference(
            based[0] if isinstance(based, list) else None, "ServiceRequest", "Communication.basedOn"
        ),
        "ServiceRequest",
    )
    parent = None
    replies = body.get("inResponseTo") or []
    if not isinstance(replies, list):
        raise FhirError(400, "structure", _("%(what)s must be a list.") % {"what": "inResponseTo"})
    if replies:
        ident = _reference(replies[0], "Communication", "Communication.inResponseTo")
        parent = _row(Message.objects.filter(consultation=consultation), ident)
        if parent is None:
            raise FhirError(
                422,
                "processing",
                _("The message it answers is not in this consultation."),
                "Communication.inResponseTo",
            )
    payload = body.get("payload") or []
    if not isinstance(payload, list) or not all(
        isinstance(p, dict) and isinstance(p.get("contentString"), str) for p in payload
    ):
        raise FhirError(
            422,
            "processing",
            _("Write the message as payload.contentString; files are attached on the platform."),
            "Communication.payload",
        )
    with service_refusals():
        message, created = message_post(
            consultation=consultation,
            actor=user,
            body="\n\n".join(p["contentString"] for p in payload),
            parent=parent,
            client_id=_client_id(body) if _has_client_id(body) else None,
            origin=origin,
        )
    return message_communication(messages(user).get(pk=message.pk)), created


def _has_client_id(body: dict[str, Any]) -> bool:
    return any(
        isinstance(i, dict) and i.get("system") == CLIENT_ID for i in body.get("identifier") or []
    )


def get_or_fhir_404(qs: QuerySet[Any], ident: str, kind: str) -> Any:
    row = _row(qs, ident)
    if row is None:
        raise FhirError(
            404, "not-found", _("No %(type)s %(id)s here.") % {"type": kind, "id": ident}
        )
    return row


def _as_uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def update_task(
    ident: str, body: dict[str, Any], user: User, *, if_match: str, origin: AuditOrigin
) -> dict[str, Any]:
    """A Task moved on: a referral's receiving facility accepts it (``accepted``), declines it
    (``rejected``, with ``statusReason``) or records the arrival (``in-progress``); a specialist
    takes a consultation (``accepted``, owner themself). ``If-Match`` (the ETag of the version
    read) is compared under the row's lock: another change in between answers 412."""
    if body.get("id") != ident:
        raise FhirError(
            400, "invalid", _("The Task's id must be the one in the address."), "Task.id"
        )
    wanted = body.get("status")
    referral = _row(referrals(user), ident)
    consultation = None
    if referral is None:
        consultation = get_or_fhir_404(consultations(user), ident, "Task")
    with transaction.atomic():
        if referral is not None:
            locked: Any = Referral.objects.select_for_update().get(pk=referral.pk)
            current = referral_task(locked)
        else:
            assert consultation is not None
            locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
            current = consult_task(consultations(user).get(pk=locked.pk))
        version = current["meta"]["versionId"]
        if if_match and if_match.removeprefix("W/").strip('"') != version:
            raise FhirError(
                412,
                "conflict",
                _("The Task changed since it was read (now version %(version)s): read it again.")
                % {"version": version},
            )
        # Asked for what is already so: nothing to do — but a consultation another specialist
        # has taken is not taken by this caller (the service says so).
        if wanted == current["status"] and (
            referral is not None or getattr(locked, "specialist_id", None) == user.pk
        ):
            return current
        with service_refusals():
            if referral is not None:
                _move_referral(locked, wanted, body, user, origin)
            else:
                _move_consultation(locked, wanted, user, origin)
    if referral is not None:
        return referral_task(referrals(user).get(pk=referral.pk))
    assert consultation is not None
    return consult_task(consultations(user).get(pk=consultation.pk))


def _move_referral(
    r: Referral, wanted: Any, body: dict[str, Any], user: User, origin: AuditOrigin
) -> None:
    if wanted == "accepted":
        referral_accept(referral=r, actor=user, origin=origin)
    elif wanted == "rejected":
        why = body.get("statusReason")
        reason = why.get("text", "") if isinstance(why, dict) else ""
        referral_decline(referral=r, actor=user, reason=str(reason), origin=origin)
    elif wanted == "in-progress":
        referral_arrive(referral=r, actor=user, origin=origin)
    else:
        raise FhirError(
            422,
            "processing",
            _(
                "A referral's Task moves to accepted, rejected or in-progress here; the rest is done on the platform."
            ),
            "Task.status",
        )


def _move_consultation(c: Consultation, wanted: Any, user: User, origin: AuditOrigin) -> None:
    if wanted != "accepted":
        raise FhirError(
            422,
            "processing",
            _(
                "A consultation's Task moves to accepted here (a specialist takes it); advice is given on the platform."
            ),
            "Task.status",
        )
    consultation_claim(consultation=c, actor=user, origin=origin)


# --- search parameters -----------------------------------------------------------------------


def uuid_field(field: str, value: str) -> Q:
    try:
        return Q(**{field: UUID(value)})
    except ValueError:
        return NOTHING


def patient_q(field: str) -> Any:
    return lambda m, v: uuid_field(f"{field}__public_id", reference_id(v, "Patient"))


def _status_q(mapping: dict[Any, str]) -> Any:
    def build(m: str, v: str) -> Q:
        code = token(v)[1]
        ours = [str(k) for k, fhir in mapping.items() if fhir == code]
        return Q(status__in=ours) if ours else NOTHING

    return build


def _kind_q(kind: str) -> Any:
    return lambda m, v: Q() if token(v)[1] == kind else NOTHING


def _priority_q(m: str, v: str) -> Q:
    code = token(v)[1]
    ours = [k for k, fhir in PRIORITY.items() if fhir == code]
    return Q(urgency__in=ours) if ours else NOTHING


def request_of(field: str) -> Any:
    """A reference to the ServiceRequest of a consultation or a referral: the row itself
    (``field`` "") or the one ``field`` leads to."""
    target = f"{field}__public_id" if field else "public_id"
    return lambda m, v: uuid_field(target, reference_id(v, "ServiceRequest"))


# What every clinical type is searched by: its id, its last change, its patient.
PATIENT_PARAMS = (
    Param("_id", "token", "The resource's id."),
    Param("_lastUpdated", "date", "When it last changed (with prefixes)."),
    Param("patient", "reference", "The Patient."),
    Param("subject", "reference", "The Patient."),
)

REQUEST_PARAMS = (
    *PATIENT_PARAMS,
    Param("status", "token", "draft, active, completed, revoked."),
    Param("category", "token", "teleconsultation or referral."),
    Param("priority", "token", "stat, urgent or routine."),
    Param("requester", "reference", "The Practitioner who asked."),
    Param("performer", "reference", "The hub or the receiving facility (Organization)."),
    Param("authored", "date", "When it was sent (with prefixes)."),
)


def _id(field: str = "public_id") -> Any:
    return lambda v: uuid_field(field, v)


SERVICE_REQUEST = ResourceType(
    "ServiceRequest",
    (
        Source(
            "consultation",
            consultations,
            consult_request,
            _id(),
            {
                "patient": patient_q("patient"),
                "subject": patient_q("patient"),
                "status": _status_q(CONSULT_REQUEST_STATUS),
                "category": _kind_q("teleconsultation"),
                "priority": _priority_q,
                "requester": lambda m, v: uuid_field(
                    "requester__public_id", reference_id(v, "Practitioner")
                ),
                "performer": lambda m, v: uuid_field(
                    "hub__public_id", reference_id(v, "Organization")
                ),
                "authored": lambda m, v: date_q("submitted_at", v),
            },
        ),
        Source(
            "referral",
            referrals,
            referral_request,
            _id(),
            {
                "patient": patient_q("patient"),
                "subject": patient_q("patient"),
                "status": _status_q(REFERRAL_REQUEST_STATUS),
                "category": _kind_q("referral"),
                "priority": _priority_q,
                "requester": lambda m, v: uuid_field(
                    "created_by__public_id", reference_id(v, "Practitioner")
                ),
                "performer": lambda m, v: uuid_field(
                    "to_facility__public_id", reference_id(v, "Organization")
                ),
                "authored": lambda m, v: date_q("sent_at", v),
            },
        ),
    ),
    REQUEST_PARAMS,
    interactions=(*HISTORY_INTERACTIONS, "create"),
    create=create_request,
)


def _owner_consult(m: str, v: str) -> Q:
    if "Organization/" in v:
        return uuid_field("hub__public_id", reference_id(v, "Organization"))
    return uuid_field("specialist__public_id", reference_id(v, "Practitioner"))


TASK = ResourceType(
    "Task",
    (
        Source(
            "consultation",
            consultations,
            consult_task,
            _id(),
            {
                "patient": patient_q("patient"),
                "status": _status_q(CONSULT_TASK_STATUS),
                "owner": _owner_consult,
                "focus": request_of(""),
                "based-on": request_of(""),
                "authored-on": lambda m, v: date_q("submitted_at", v),
                "modified": lambda m, v: date_q("updated_at", v),
            },
        ),
        Source(
            "referral",
            referrals,
            referral_task,
            _id(),
            {
                "patient": patient_q("patient"),
                "status": _status_q(REFERRAL_TASK_STATUS),
                "owner": lambda m, v: uuid_field(
                    "to_facility__public_id", reference_id(v, "Organization")
                ),
                "focus": request_of(""),
                "based-on": request_of(""),
                "authored-on": lambda m, v: date_q("sent_at", v),
                "modified": lambda m, v: date_q("updated_at", v),
            },
        ),
    ),
    (
        Param("_id", "token", "The resource's id."),
        Param("_lastUpdated", "date", "When it last changed (with prefixes)."),
        Param("patient", "reference", "The Patient."),
        Param("status", "token", "requested, accepted, rejected, in-progress, completed…"),
        Param("owner", "reference", "The specialist (Practitioner) or facility (Organization)."),
        Param("focus", "reference", "The ServiceRequest."),
        Param("based-on", "reference", "The ServiceRequest."),
        Param("authored-on", "date", "When it was sent (with prefixes)."),
        Param("modified", "date", "When it last changed (with prefixes)."),
    ),
    interactions=(*HISTORY_INTERACTIONS, "update"),
    update=update_task,
)

COMMUNICATION = ResourceType(
    "Communication",
    (
        Source(
            "message",
            messages,
            message_communication,
            _id(),
            {
                "patient": patient_q("consultation__patient"),
                "subject": patient_q("consultation__patient"),
                "based-on": request_of("consultation"),
                "category": _kind_q("teleconsultation"),
                "sender": lambda m, v: uuid_field(
                    "author__public_id", reference_id(v, "Practitioner")
                ),
                "sent": lambda m, v: date_q("created_at", v),
            },
            updated_field="created_at",
        ),
        Source(
            "counter-referral",
            counter_referrals,
            counter_communication,
            lambda v: (
                uuid_field("public_id", v[len(COUNTER_PREFIX) :])
                if v.startswith(COUNTER_PREFIX)
                else NOTHING
            ),
            {
                "patient": patient_q("patient"),
                "subject": patient_q("patient"),
                "based-on": lambda m, v: uuid_field("public_id", reference_id(v, "ServiceRequest")),
                "category": _kind_q("counter-referral"),
                "sender": lambda m, v: uuid_field(
                    "counter_referred_by__public_id", reference_id(v, "Practitioner")
                ),
                "sent": lambda m, v: date_q("counter_referred_at", v),
            },
        ),
    ),
    (
        *PATIENT_PARAMS,
        Param("based-on", "reference", "The consultation's or the referral's ServiceRequest."),
        Param("category", "token", "teleconsultation or counter-referral."),
        Param("sender", "reference", "The Practitioner who wrote it."),
        Param("sent", "date", "When it was sent (with prefixes)."),
    ),
    interactions=(*HISTORY_INTERACTIONS, "create"),
    create=create_communication,
)

DOCUMENT_REFERENCE = ResourceType(
    "DocumentReference",
    (
        Source(
            "attachment",
            attachments,
            document_reference,
            _id(),
            {
                "patient": patient_q("consultation__patient"),
                "subject": patient_q("consultation__patient"),
                "related": request_of("consultation"),
                "date": lambda m, v: date_q("created_at", v),
            },
            updated_field="created_at",
        ),
    ),
    (
        Param("_id", "token", "The resource's id."),
        Param("_lastUpdated", "date", "When it was uploaded (with prefixes)."),
        Param("patient", "reference", "The Patient."),
        Param("subject", "reference", "The Patient."),
        Param("related", "reference", "The consultation's ServiceRequest."),
        Param("date", "date", "When it was uploaded (with prefixes)."),
    ),
    interactions=HISTORY_INTERACTIONS,
)

BINARY = ResourceType(
    "Binary",
    (Source("attachment", attachments, binary, _id(), {}, updated_field="created_at"),),
    (),
    interactions=("read", "vread"),
)

ENCOUNTER = ResourceType(
    "Encounter",
    (
        Source(
            "video",
            sessions,
            encounter,
            _id(),
            {
                "patient": patient_q("consultation__patient"),
                "subject": patient_q("consultation__patient"),
                "based-on": request_of("consultation"),
                "status": _status_q(ENCOUNTER_STATUS),
                "class": lambda m, v: Q() if token(v)[1] == "VR" else NOTHING,
                "date": lambda m, v: date_q("scheduled_at", v),
            },
        ),
    ),
    (
        *PATIENT_PARAMS,
        Param("based-on", "reference", "The consultation's ServiceRequest."),
        Param("status", "token", "planned, in-progress, finished, cancelled."),
        Param("class", "token", "VR (virtual)."),
        Param("date", "date", "When it is or was scheduled (with prefixes)."),
    ),
    interactions=HISTORY_INTERACTIONS,
)

CLINICAL = (SERVICE_REQUEST, TASK, COMMUNICATION, DOCUMENT_REFERENCE, BINARY, ENCOUNTER)
