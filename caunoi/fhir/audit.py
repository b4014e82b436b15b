"""The audit trail as FHIR AuditEvent, read-only, in the shape of IHE Basic Audit Log Patterns
(BALP): a RESTful event typed by FHIR's interaction (read, create, update, delete…), the agent
who asked (``requestor``) with their network address, the platform as source, the patients
concerned as entities of role "patient" and the object as another entity, the purpose.

**Decision (who):** network administrators only — the trail names every reader of every
patient; anyone else searches an empty list and reads 404, as for a row they cannot have."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction, AuditEvent
from caunoi.fhir.directory import _meta, coding, instant, ref
from caunoi.fhir.search import NOTHING, Param, ResourceType, Source, date_q, reference_id, token
from caunoi.network.access import user_scope

EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
INTERACTION = "http://hl7.org/fhir/restful-interaction"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
SECURITY_SOURCE = "http://terminology.hl7.org/CodeSystem/security-source-type"

# The platform's actions as BALP's event (type, subtype) and FHIR's action code.
KIND: dict[str, tuple[tuple[str, str, str], str]] = {
    AuditAction.CREATE: ((EVENT_TYPE, "rest", "RESTful Operation"), "C"),
    AuditAction.UPDATE: ((EVENT_TYPE, "rest", "RESTful Operation"), "U"),
    AuditAction.DELETE: ((EVENT_TYPE, "rest", "RESTful Operation"), "D"),
    AuditAction.VIEW: ((EVENT_TYPE, "rest", "RESTful Operation"), "R"),
    AuditAction.EXPORT: (("http://dicom.nema.org/resources/ontology/DCM", "110106", "Export"), "R"),
    AuditAction.LOGIN: (
        ("http://dicom.nema.org/resources/ontology/DCM", "110114", "User Authentication"),
        "E",
    ),
    AuditAction.LOGIN_FAILED: (
        ("http://dicom.nema.org/resources/ontology/DCM", "110114", "User Authentication"),
        "E",
    ),
    AuditAction.LOGOUT: (
        ("http://dicom.nema.org/resources/ontology/DCM", "110114", "User Authentication"),
        "E",
    ),
    AuditAction.TOKEN_CREATE: ((EVENT_TYPE, "rest", "RESTful Operation"), "C"),
    AuditAction.TOKEN_REVOKE: ((EVENT_TYPE, "rest", "RESTful Operation"), "D"),
}
SUBTYPE = {
    AuditAction.CREATE: "create",
    AuditAction.UPDATE: "update",
    AuditAction.DELETE: "delete",
    AuditAction.VIEW: "read",
    AuditAction.TOKEN_CREATE: "create",
    AuditAction.TOKEN_REVOKE: "delete",
}


def events(user: User) -> QuerySet[AuditEvent]:
    if not user_scope(user).is_network_admin:
        return AuditEvent.objects.none()
    return AuditEvent.objects.select_related("actor")


def audit_event(e: AuditEvent) -> dict[str, Any]:
    (system, code, display), action = KIND.get(AuditAction(e.action), KIND[AuditAction.UPDATE])
    agent: dict[str, Any] = {
        "type": {"coding": [coding(PARTICIPATION, "IRCP", "information recipient")]},
        "requestor": True,
    }
    if e.actor is not None:
        agent["who"] = ref("Practitioner", str(e.actor.public_id), e.actor.full_name)
    else:
        agent["who"] = {"display": e.actor_label or "Cầu Nối"}
    if e.ip_address:
        agent["network"] = {"address": e.ip_address, "type": "2"}
    entities: list[dict[str, Any]] = [
        {
            "what": {"reference": f"Patient/{patient}"},
            "role": coding(OBJECT_ROLE, "1", "Patient"),
        }
        for patient in (e.detail or {}).get("patients", [])
        if isinstance(patient, str)
    ]
    if e.object_type and not entities:
        entities.append(
            {
                "what": {"identifier": {"value": e.object_id}}
                if e.object_id
                else {"display": e.object_type},
                "type": {
                    "code": "2",
                    "display": "System Object",
                    "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                },
                "description": e.object_type,
            }
        )
    out: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(e.public_id),
        "meta": _meta(e.at),
        "type": coding(system, code, display),
        "action": action,
        "recorded": instant(e.at),
        "outcome": "4" if e.action == AuditAction.LOGIN_FAILED else "0",
        "agent": [agent],
        "source": {
            "observer": {"display": "Cầu Nối"},
            "type": [coding(SECURITY_SOURCE, "4", "Application Server")],
        },
    }
    if e.action in SUBTYPE:
        out["subtype"] = [coding(INTERACTION, SUBTYPE[AuditAction(e.action)])]
    if e.purpose:
        out["purposeOfEvent"] = [{"text": e.purpose}]
    if entities:
        out["entity"] = entities
    return out


def _uuid(field: str, value: str) -> Q:
    try:
        return Q(**{field: UUID(value)})
    except ValueError:
        return NOTHING


def _action_q(value: str) -> Q:
    code = token(value)[1]
    ours = [k for k, (_kind, fhir) in KIND.items() if fhir == code]
    return Q(action__in=ours) if ours else NOTHING


def _patient_q(value: str) -> Q:
    """A patient named among the event's patients: their id in its list (a UUID: as text,
    it names one patient; the JSON ``contains`` lookup has no SQLite form)."""
    ident = reference_id(value, "Patient")
    try:
        UUID(ident)
    except ValueError:
        return NOTHING
    return Q(detail__patients__icontains=ident)


AUDIT_EVENT = ResourceType(
    "AuditEvent",
    (
        Source(
            "trail",
            events,
            audit_event,
            lambda v: _uuid("public_id", v),
            {
                "date": lambda m, v: date_q("at", v),
                "agent": lambda m, v: _uuid("actor__public_id", reference_id(v, "Practitioner")),
                "action": lambda m, v: _action_q(v),
                "patient": lambda m, v: _patient_q(v),
            },
            updated_field="at",
        ),
    ),
    (
        Param("_id", "token", "The resource's id."),
        Param("_lastUpdated", "date", "When it was recorded (with prefixes)."),
        Param("date", "date", "When it was recorded (with prefixes)."),
        Param("agent", "reference", "The Practitioner who acted."),
        Param("action", "token", "C, R, U, D or E."),
        Param("patient", "reference", "A Patient concerned."),
    ),
    interactions=("read", "search-type"),
)
