"""Patient: read and search through the patients app's access helper (``visible_patients``:
a search never returns a patient the caller could not open as a page, and every row read is
audited there), and create — conditionally too — through its registration service.

Identifiers (vn-core-ig's systems): the citizen ID (CCCD) under ``…/sid/national_id``, the
health-insurance card number under ``…/sid/insurance_number``; the platform's own id beside.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from dataclasses import replace
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.audit.origin import AuditOrigin
from caunoi.core.text import fold
from caunoi.fhir.directory import (
    CAUNOI,
    PLATFORM_ID,
    SID,
    _meta,
    _names,
    _uuid_q,
    coding,
    ref,
)
from caunoi.fhir.http import FhirError
from caunoi.fhir.search import (
    NOTHING,
    RESULT_PARAMS,
    Param,
    ResourceType,
    Source,
    date_range,
    source_filter,
    string_q,
    token,
)
from caunoi.network.access import user_scope
from caunoi.patients.access import registration_facility, visible_patients
from caunoi.patients.ethnicity import ETHNICITY_CHOICES, KINH
from caunoi.patients.models import Patient, Sex
from caunoi.patients.services import IdentifierTaken, PatientInput, patient_register
from caunoi.patients.sharing import patient_shares
from caunoi.places.models import Commune

NATIONAL_ID = f"{SID}/national_id"
INSURANCE = f"{SID}/insurance_number"
# Decision: vn-core-ig's ethnicity extension could not be confirmed (its package was never
# published); the platform's own carries the General Statistics Office's code of the group.
ETHNICITY_URL = f"{CAUNOI}/StructureDefinition/ethnicity"
ETHNICITY_SYSTEM = f"{CAUNOI}/CodeSystem/ethnicity"
COMMUNE_URL = f"{CAUNOI}/StructureDefinition/commune-code"
ETHNICITIES = dict(ETHNICITY_CHOICES)


def patient_resource(p: Patient) -> dict[str, Any]:
    identifiers: list[dict[str, Any]] = [{"system": PLATFORM_ID, "value": str(p.public_id)}]
    if p.citizen_id:
        identifiers.append(
            {
                "use": "official",
                "type": {"coding": [coding("http://terminology.hl7.org/CodeSystem/v2-0203", "NI")]},
                "system": NATIONAL_ID,
                "value": p.citizen_id,
            }
        )
    if p.insurance_number:
        identifiers.append({"system": INSURANCE, "value": p.insurance_number})
    address: dict[str, Any] = {
        "use": "home",
        "country": "VN",
        "city": p.commune.name,
        "state": p.commune.province.name,
        "extension": [{"url": COMMUNE_URL, "valueCode": f"{p.commune.code:05d}"}],
    }
    if p.address:
        address["text"] = p.address
    out: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(p.public_id),
        "meta": _meta(p.updated_at),
        "extension": [
            {
                "url": ETHNICITY_URL,
                "valueCoding": coding(
                    ETHNICITY_SYSTEM, p.ethnicity, str(ETHNICITIES.get(p.ethnicity, ""))
                ),
            }
        ],
        "identifier": identifiers,
        "active": True,
        "name": [_names(p.full_name)],
        "gender": p.sex if p.sex in ("male", "female") else "unknown",
        # An age given instead of a date is kept as 1 January of the year: FHIR says the year.
        "birthDate": str(p.birth_date.year) if p.birth_date_estimated else p.birth_date.isoformat(),
        "address": [address],
        "managingOrganization": ref("Organization", str(p.facility.public_id), p.facility.name),
    }
    if p.phone:
        out["telecom"] = [{"system": "phone", "value": p.phone, "use": "mobile"}]
    return out


def _candidates(user: User) -> QuerySet[Any]:
    """The ids the caller's ways in lead to — their facilities' patients, and each app's shares
    (``patients.sharing``) — as one UNION: a plan's hint, not a rule."""
    scope = user_scope(user)
    own: QuerySet[Any] = Patient.objects.filter(facility_id__in=scope.facility_ids).values("pk")
    shared = [
        way.values("patient_id")
        for share in patient_shares()
        for way in share.patient_ids(user, scope)
    ]
    return own.union(*shared) if shared else own


def patients(user: User) -> QuerySet[Patient]:
    """The patients the caller may see: ``visible_patients``, the access helper that decides
    (and marks the reads for the audit trail). **Decision (speed):** for a caller outside the
    hubs, also restricted to the ids its ways in lead to, gathered first: a search ordered by
    id with a limit otherwise walks the whole table's id index testing each row's visibility
    (at a million patients: a station's name search 244 → 13 ms, a receiving hospital's 426 →
    4 ms). Not for hub staff: they share every consultation asked of their hub (221,050
    patients in the benchmark), a set too large to gather first (a specialist's name search
    533 ms → 9.8 s, an identifier 3 → 540 ms with it)."""
    visible = visible_patients(user).select_related("facility", "commune", "commune__province")
    if user_scope(user).hub_ids:
        return visible
    return visible.filter(pk__in=_candidates(user))


def _identifier_q(value: str) -> Q:
    system, code = token(value)
    code = code.strip()
    if not code:
        return NOTHING
    if system == PLATFORM_ID:
        return _uuid_q("public_id", code)
    if system in (None, NATIONAL_ID) and code.isascii() and code.isdigit() and len(code) == 12:
        # Twelve digits are a citizen ID: a card number starts with two letters.
        return Q(citizen_id=code)
    if system in (None, INSURANCE):
        return Q(insurance_number=code.upper())
    return NOTHING


def _gender_q(value: str) -> Q:
    code = token(value)[1]
    return Q(sex=code) if code in Sex.values else NOTHING


PATIENT_FILTERS: dict[str, Any] = {
    "identifier": lambda m, v: _identifier_q(v),
    "name": lambda m, v: string_q("search_name", "full_name", m, v),
    "gender": lambda m, v: _gender_q(v),
    "birthdate": lambda m, v: _date_only(v),
    "organization": lambda m, v: _uuid_q(
        "facility__public_id", v.rsplit("/", 1)[-1] if "/" in v else v
    ),
}


def _date_only(value: str) -> Q:
    """birthdate compares dates: the range a value covers, as days."""
    prefix, start, end = date_range(value)
    first, last = start.date(), end.date()
    return {
        "eq": Q(birth_date__gte=first, birth_date__lt=last),
        "ne": ~Q(birth_date__gte=first, birth_date__lt=last),
        "gt": Q(birth_date__gte=last),
        "sa": Q(birth_date__gte=last),
        "lt": Q(birth_date__lt=first),
        "eb": Q(birth_date__lt=first),
        "ge": Q(birth_date__gte=first),
        "le": Q(birth_date__lt=last),
    }[prefix]


PATIENT = ResourceType(
    "Patient",
    (
        Source(
            "patient",
            patients,
            patient_resource,
            lambda v: _uuid_q("public_id", v),
            PATIENT_FILTERS,
        ),
    ),
    (
        Param("_id", "token", "The resource's id."),
        Param("_lastUpdated", "date", "When it last changed (eq, ne, gt, lt, ge, le, sa, eb)."),
        Param(
            "identifier",
            "token",
            "The citizen ID (…/sid/national_id), the health-insurance number "
            "(…/sid/insurance_number) or the platform's id.",
        ),
        Param(
            "name",
            "string",
            "Each word begins a word of the name, diacritics and case aside; :contains "
            "anywhere; :exact as written.",
            ("contains", "exact"),
        ),
        Param("gender", "token", "male or female."),
        Param("birthdate", "date", "The date of birth (with prefixes)."),
        Param("organization", "reference", "The facility that registered the patient."),
    ),
    interactions=("read", "vread", "search-type", "history-type", "create"),
    conditional_create=True,
)


# --- create -------------------------------------------------------------------------------------


def _first(items: Any, what: str) -> Any:
    if items is None:
        return None
    if not isinstance(items, list):
        raise FhirError(400, "structure", _("%(what)s must be a list.") % {"what": what}, what)
    return items[0] if items else None


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FhirError(
            400, "structure", _("%(where)s must be a string.") % {"where": where}, where
        )
    return value


def _commune(
    address: dict[str, Any] | None, facility_commune: Commune | None, province_id: int
) -> Commune:
    """The patient's commune: the commune-code extension of the address, else the address's
    city named in the facility's province (diacritics aside), else the facility's commune."""
    if address:
        for ext in address.get("extension") or []:
            if isinstance(ext, dict) and ext.get("url") == COMMUNE_URL:
                code = str(ext.get("valueCode", ""))
                found = (
                    Commune.objects.filter(code=int(code)).first()
                    if code.isascii() and code.isdigit()
                    else None
                )
                if found is None:
                    raise FhirError(
                        422, "processing", _("No commune has the code %(code)s.") % {"code": code}
                    )
                return found
        city = _text(address.get("city"), "Patient.address.city")
        if city:
            named = list(
                Commune.objects.filter(province_id=province_id, search_name=fold(city))[:2]
            )
            if len(named) == 1:
                return named[0]
    if facility_commune is not None:
        return facility_commune
    raise FhirError(422, "processing", _("Give the patient's commune."), "Patient.address")


def patient_input(body: dict[str, Any], user: User) -> tuple[PatientInput, Any]:
    """The registration the resource asks for, and the facility it is made at."""
    facility = registration_facility(user)
    if facility is None:
        raise FhirError(403, "forbidden", _("You cannot register patients."))
    name = _first(body.get("name"), "Patient.name") or {}
    if not isinstance(name, dict):
        raise FhirError(400, "structure", _("Patient.name must hold HumanName objects."))
    full_name = _text(name.get("text"), "Patient.name.text")
    if not full_name:
        given = name.get("given") or []
        full_name = " ".join(
            [
                _text(name.get("family"), "Patient.name.family"),
                *(_text(g, "Patient.name.given") for g in given),
            ]
        ).strip()
    citizen, card = "", ""
    for ident in body.get("identifier") or []:
        if not isinstance(ident, dict):
            raise FhirError(400, "structure", _("Patient.identifier must hold Identifier objects."))
        if ident.get("system") == NATIONAL_ID:
            citizen = _text(ident.get("value"), "Patient.identifier.value")
        elif ident.get("system") == INSURANCE:
            card = _text(ident.get("value"), "Patient.identifier.value")
    birth = _text(body.get("birthDate"), "Patient.birthDate")
    birth_date: date | None = None
    age_years: int | None = None
    try:
        if len(birth) == 4:
            age_years = max(0, timezone.localdate().year - int(birth))
        elif birth:
            birth_date = date.fromisoformat(birth)
    except ValueError as exc:
        raise FhirError(
            400, "invalid", _("Patient.birthDate is not a date."), "Patient.birthDate"
        ) from exc
    gender = _text(body.get("gender"), "Patient.gender")
    if gender not in Sex.values:
        raise FhirError(422, "processing", _("Patient.gender is male or female."), "Patient.gender")
    ethnicity = KINH
    for ext in body.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == ETHNICITY_URL:
            coded = ext.get("valueCoding")
            code = coded.get("code", "") if isinstance(coded, dict) else ""
            if not isinstance(code, str) or code not in ETHNICITIES:
                raise FhirError(
                    422, "processing", _("Unknown ethnicity code %(code)s.") % {"code": code}
                )
            ethnicity = code
    phone = ""
    for telecom in body.get("telecom") or []:
        if isinstance(telecom, dict) and telecom.get("system") == "phone":
            phone = _text(telecom.get("value"), "Patient.telecom.value")
    address = _first(body.get("address"), "Patient.address")
    if address is not None and not isinstance(address, dict):
        raise FhirError(400, "structure", _("Patient.address must hold Address objects."))
    data = PatientInput(
        full_name=full_name,
        sex=gender,
        commune=_commune(address, facility.commune, facility.province_id),
        birth_date=birth_date,
        age_years=age_years,
        citizen_id=citizen,
        insurance_number=card,
        phone=phone,
        address=_text((address or {}).get("text"), "Patient.address.text"),
        ethnicity=ethnicity,
    )
    return data, facility


# One process's conditional creates of the same criteria wait for each other; on PostgreSQL,
# every process's do (a transaction-scoped advisory lock on the criteria's digest).
_LOCAL = threading.Lock()


def _lock(criteria: str) -> None:
    if connection.vendor == "postgresql":
        key = int.from_bytes(hashlib.sha256(criteria.encode()).digest()[:8], "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def create_patient(
    body: dict[str, Any], user: User, *, criteria: str, origin: AuditOrigin
) -> tuple[dict[str, Any], bool]:
    """``create`` as the FHIR endpoint calls it: the resource made or found."""
    patient, created = create(body, user, if_none_exist=criteria, origin=origin)
    return patient_resource(patient), created


def create(
    body: dict[str, Any], user: User, *, if_none_exist: str, origin: AuditOrigin
) -> tuple[Patient, bool]:
    """Register the patient; with ``If-None-Exist`` (a search's query string) only when no
    patient the caller can see matches it: one match is answered instead, several refused
    (412). Concurrent creates with the same criteria are serialised, so exactly one creates."""
    if body.get("id"):
        raise FhirError(400, "invalid", _("A resource to create carries no id."), "Patient.id")
    data, facility = patient_input(body, user)
    if not if_none_exist:
        return _register(user, facility, data, origin), True
    criteria = QueryDict(if_none_exist.lstrip("?"), mutable=True)
    for name in RESULT_PARAMS:  # _format, _count…: not a condition on the patient
        criteria.pop(name, None)
    if not criteria:
        return _register(user, facility, data, origin), True
    ignored: list[str] = []
    q = source_filter(PATIENT, PATIENT.sources[0], criteria, ignored)
    if ignored or q is None:
        raise FhirError(
            400,
            "invalid",
            _("If-None-Exist holds a search this server does not know: %(names)s.")
            % {"names": ", ".join(ignored) or if_none_exist},
        )
    held = _LOCAL if connection.vendor != "postgresql" else None
    if held is not None:
        held.acquire()
    try:
        with transaction.atomic():
            _lock(f"Patient?{sorted(criteria.lists())}")
            matches = list(patients(user).filter(q)[:2])
            if len(matches) > 1:
                raise FhirError(412, "duplicate", _("More than one patient matches If-None-Exist."))
            if matches:
                return matches[0], False
            # A patient who holds the body's identifier but does not match the condition is
            # not "the one that exists": 409, as without a condition.
            return _register(user, facility, data, origin), True
    finally:
        if held is not None:
            held.release()


def _register(user: User, facility: Any, data: PatientInput, origin: AuditOrigin) -> Patient:
    try:
        patient, _created = patient_register(
            actor=user,
            facility=facility,
            data=data,
            client_id=uuid.uuid4(),
            allow_duplicate=True,
            origin=origin,
        )
    except IdentifierTaken as exc:
        raise FhirError(409, "duplicate", " ".join(exc.messages)) from exc
    except ValidationError as exc:
        raise validation_error(exc) from exc
    return Patient.objects.select_related("facility", "commune", "commune__province").get(
        pk=patient.pk
    )


def validation_error(exc: ValidationError) -> FhirError:
    """A service's refusal as a 422 whose message names what to correct."""
    return FhirError(422, "processing", " ".join(exc.messages))


# The type with its create (defined above its mapping's functions, completed here).
PATIENT = replace(PATIENT, create=create_patient)
