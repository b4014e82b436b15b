from datetime import date
from typing import Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.params.functions import Header  # typed, unlike ninja's shortcut
from pydantic import ConfigDict

from caunoi.accounts.http import AuthedRequest
from caunoi.audit.origin import origin_of
from caunoi.core.api import (
    FieldConflict,
    FieldErrors,
    ListFilters,
    NoFilters,
    Pagination,
    SerializedPage,
    no_filters,
)
from caunoi.patients.access import access_patient, registration_facility
from caunoi.patients.ethnicity import ETHNICITY_PATTERN
from caunoi.patients.identifiers import insurance_decode
from caunoi.patients.models import Household, Patient, Sex
from caunoi.patients.selectors import patient_list, with_active_consent
from caunoi.patients.services import (
    IdentifierTaken,
    PatientInput,
    consent_record,
    has_consent,
    patient_register,
)
from caunoi.places.models import Commune

router = Router(tags=["patients"])


class PatientFilters(ListFilters):
    q: str = ""


class ConsentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    method: Literal["verbal", "written"]
    given_by: str = Field("", max_length=200)


class PatientIn(Schema):
    model_config = ConfigDict(extra="forbid")
    full_name: str = Field(..., min_length=2, max_length=200)
    sex: Sex
    birth_date: date | None = None
    age_years: int | None = Field(None, ge=0, le=130)
    citizen_id: str = Field("", max_length=20)
    insurance_number: str = Field("", max_length=20)
    phone: str = Field("", max_length=20)
    commune: int = Field(..., description="Official code of the commune (GET /api/communes)")
    address: str = Field("", max_length=300)
    ethnicity: str = Field("01", pattern=ETHNICITY_PATTERN, description="01 Kinh … 54 Rơ Măm")
    household: Household = Household.NONE
    has_disability: bool = False
    consent: ConsentIn | None = Field(None, description="Consent to teleconsultation, recorded now")
    allow_duplicate: bool = Field(
        False,
        description="Register even if a patient of the same name, date of birth and commune "
        "is already registered (never for the same citizen ID or insurance number)",
    )


class InsuranceOut(Schema):
    number: str
    group: str
    group_label: str
    benefit_level: str
    benefit_label: str
    province_code: int


class FacilityRef(Schema):
    id: UUID
    name: str


class PatientOut(Schema):
    id: UUID
    full_name: str
    sex: str
    birth_date: date
    birth_date_estimated: bool
    age: int
    citizen_id: str
    insurance: InsuranceOut | None
    phone: str
    commune_code: int
    province_code: int
    address: str
    ethnicity: str
    household: str
    has_disability: bool
    facility: FacilityRef
    consent_active: bool
    vulnerabilities: list[str]
    url: str


def patient_out(p: Patient, *, consent_active: bool | None = None) -> dict[str, object]:
    card = insurance_decode(p.insurance_number)
    return {
        "id": p.public_id,
        "full_name": p.full_name,
        "sex": p.sex,
        "birth_date": p.birth_date,
        "birth_date_estimated": p.birth_date_estimated,
        "age": p.age(),
        "citizen_id": p.citizen_id,
        "insurance": card.__dict__ if card else None,
        "phone": p.phone,
        "commune_code": p.commune.code,
        "province_code": p.commune.province.code,
        "address": p.address,
        "ethnicity": p.ethnicity,
        "household": p.household,
        "has_disability": p.has_disability,
        "facility": {"id": p.facility.public_id, "name": p.facility.name},
        "consent_active": has_consent(p) if consent_active is None else consent_active,
        "vulnerabilities": p.vulnerabilities(),
        "url": p.get_absolute_url(),
    }


@router.post("/patients", response={201: PatientOut, 200: PatientOut}, summary="Register a patient")
def create_patient(
    request: AuthedRequest,
    payload: PatientIn,
    idempotency_key: UUID | None = Header(None, alias="Idempotency-Key"),
) -> Status[dict[str, object]]:
    """Registers a patient at your facility. Send an `Idempotency-Key` (a UUID you generate) to
    make a retry safe: the call that registers answers 201, every replay 200 with the same
    patient. A citizen ID or a health-insurance number (its last 10 digits) already held by a
    patient of your facility is refused with 409, naming that record, whatever
    `allow_duplicate` says: an identifier belongs to one person. A patient who only looks
    already registered (same name, date of birth and commune) is refused with 409 unless
    `allow_duplicate` is true."""
    facility = registration_facility(request.user)
    if facility is None:
        raise HttpError(403, _("Only staff of a health facility register patients."))
    commune = Commune.objects.select_related("province").filter(code=payload.commune).first()
    if commune is None:
        raise FieldErrors({"commune": _("Unknown commune code.")})
    data = PatientInput(
        full_name=payload.full_name,
        sex=payload.sex,
        commune=commune,
        birth_date=payload.birth_date,
        age_years=payload.age_years,
        citizen_id=payload.citizen_id,
        insurance_number=payload.insurance_number,
        phone=payload.phone,
        address=payload.address,
        ethnicity=payload.ethnicity,
        household=payload.household,
        has_disability=payload.has_disability,
    )
    try:
        with transaction.atomic():
            patient, created = patient_register(
                actor=request.user,
                facility=facility,
                data=data,
                client_id=idempotency_key,
                allow_duplicate=payload.allow_duplicate,
                origin=origin_of(request),
            )
            if payload.consent is not None:
                consent_record(
                    patient=patient,
                    actor=request.user,
                    method=payload.consent.method,
                    given_by=payload.consent.given_by,
                    origin=origin_of(request),
                )
    except IdentifierTaken as exc:
        raise FieldConflict(
            _("This person is already registered at your facility: %(records)s.")
            % {
                "records": ", ".join(
                    request.build_absolute_uri(p.get_absolute_url()) for p in exc.existing
                )
            },
            {name: " ".join(messages) for name, messages in exc.message_dict.items()},
        ) from exc
    except ValidationError as exc:
        if getattr(exc, "code", None) == "duplicate":
            raise HttpError(409, " ".join(exc.messages)) from exc
        raise
    return Status(201 if created else 200, patient_out(patient))


@router.get("/patients", response=list[PatientOut], summary="Find patients")
@paginate(Pagination)
def list_patients(request: HttpRequest, filters: Query[PatientFilters]) -> SerializedPage:
    """Patients you may see; `q` matches names ignoring diacritics, or a citizen ID or phone."""
    return SerializedPage(patient_list(request.user, q=filters.q), _patient_rows)


def _patient_rows(rows: list[Patient]) -> list[dict[str, object]]:
    """One page of patients, with one consent query for the whole page."""
    active = with_active_consent(rows)
    return [patient_out(p, consent_active=p.id in active) for p in rows]


@router.get("/patients/{patient_id}", response=PatientOut, summary="One patient")
def get_patient(
    request: HttpRequest, patient_id: UUID, filters: NoFilters = no_filters()
) -> dict[str, object]:
    return patient_out(access_patient(request.user, patient_id))
