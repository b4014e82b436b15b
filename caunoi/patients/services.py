from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import audit_record
from caunoi.core.phone import phone_normalize
from caunoi.core.text import fold
from caunoi.network.models import Facility
from caunoi.patients.access import registrable_facility_ids
from caunoi.patients.identifiers import citizen_id_clean, insurance_clean, insurance_decode
from caunoi.patients.models import ConsentPurpose, Patient, PatientConsent
from caunoi.places.models import Commune


@dataclass
class PatientInput:
    full_name: str
    sex: str
    commune: Commune
    birth_date: date | None = None
    age_years: int | None = None
    citizen_id: str = ""
    insurance_number: str = ""
    phone: str = ""
    address: str = ""
    ethnicity: str = "01"
    household: str = ""
    has_disability: bool = False


def birth_date_from(data: PatientInput, today: date | None = None) -> tuple[date, bool]:
    """The date of birth, or one estimated from the age (1 January of the year)."""
    if data.birth_date is not None:
        return data.birth_date, False
    if data.age_years is not None:
        year = (today or timezone.localdate()).year - data.age_years
        return date(year, 1, 1), True
    raise ValidationError(
        {"birth_date": _("Enter the date of birth, or the age when it is not known.")}
    )


def patient_duplicates(
    *,
    facility_id: int,
    full_name: str,
    birth_date: date,
    commune_id: int,
    exclude_id: int | None = None,
) -> list[Patient]:
    """Patients of the facility who look like the same person: the same name, date of birth and
    commune. Two people can share these; the worker may confirm that this is another one."""
    qs = Patient.objects.filter(
        facility_id=facility_id,
        search_name=fold(full_name),
        birth_date=birth_date,
        commune_id=commune_id,
    ).select_related("commune")
    if exclude_id is not None:
        qs = qs.exclude(id=exclude_id)
    return list(qs[:5])


class IdentifierTaken(ValidationError):
    """The citizen ID or the social-insurance number is already a patient's at this facility.
    An identifier names one person: no confirmation registers a second record under it. Carries
    the field errors and the records that hold the identifiers (``existing``)."""

    def __init__(self, errors: dict[str, str], existing: list[Patient]) -> None:
        super().__init__(
            {name: [ValidationError(m, code="identifier_taken")] for name, m in errors.items()}
        )
        self.existing = existing


def identifier_holders(
    *, facility_id: int, citizen_id: str, insurance_number: str
) -> dict[str, Patient]:
    """The oldest patient of the facility holding each identifier: ``citizen_id`` the same
    citizen ID, ``insurance_number`` the same social-insurance number (the card's last 10
    characters, which stay when the group or the benefit level changes)."""
    card = insurance_decode(insurance_number)
    same = Q()
    if citizen_id:
        same |= Q(citizen_id=citizen_id)
    if card is not None:
        same |= Q(bhxh=card.social_insurance_number) & ~Q(insurance_number="")
    if not same:
        return {}
    rows = (
        Patient.objects.annotate(bhxh=Substr("insurance_number", 6))
        .filter(same, facility_id=facility_id)
        .order_by("created_at", "id")
    )
    holders: dict[str, Patient] = {}
    for p in rows[:10]:
        if citizen_id and p.citizen_id == citizen_id:
            holders.setdefault("citizen_id", p)
        if card is not None and p.insurance_number[5:] == card.social_insurance_number:
            holders.setdefault("insurance_number", p)
    return holders


def _identifier_taken(holders: dict[str, Patient]) -> IdentifierTaken:
    def who(p: Patient) -> dict[str, str]:
        return {"name": p.full_name, "born": f"{p.birth_date:%d/%m/%Y}"}

    errors = {}
    if "citizen_id" in holders:
        errors["citizen_id"] = _(
            "A patient with this citizen ID is already registered here: %(name)s, born "
            "%(born)s. A citizen ID belongs to one person: open their record instead."
        ) % who(holders["citizen_id"])
    if "insurance_number" in holders:
        errors["insurance_number"] = _(
            "A patient with this health-insurance number (its last 10 digits) is already "
            "registered here: %(name)s, born %(born)s. It belongs to one person: open their "
            "record instead."
        ) % who(holders["insurance_number"])
    return IdentifierTaken(errors, list(dict.fromkeys(holders.values())))


def _clean(data: PatientInput) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, cleaner in (
        ("citizen_id", citizen_id_clean),
        ("insurance_number", insurance_clean),
        ("phone", phone_normalize),
    ):
        try:
            values[name] = cleaner(getattr(data, name))
        except ValidationError as exc:
            errors[name] = exc.messages
    try:
        values["birth_date"], values["birth_date_estimated"] = birth_date_from(data)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "birth_date" in values and values["birth_date"] > timezone.localdate():
        errors["birth_date"] = [_("The date of birth is in the future.")]
    if data.age_years is not None and not 0 <= data.age_years <= 130:
        errors["age_years"] = [_("Enter an age between 0 and 130.")]
    if not data.full_name.strip():
        errors["full_name"] = [_("Enter the patient's full name.")]
    if errors:
        raise ValidationError(errors)
    return values


def patient_register(
    *,
    actor: User,
    facility: Facility,
    data: PatientInput,
    client_id: uuid.UUID | None = None,
    allow_duplicate: bool = False,
    origin: AuditOrigin = SYSTEM,
) -> tuple[Patient, bool]:
    """Register a patient at ``facility``; answers the patient and whether this call created
    them (False: a retry with the same ``client_id``, or its concurrent twin, did). Raises
    ValidationError with the duplicates under ``__all__`` when the patient looks already
    registered and ``allow_duplicate`` is off."""
    if facility.id not in registrable_facility_ids(actor):
        raise ValidationError({"facility": _("You cannot register patients at this facility.")})
    if client_id is not None:
        existing = Patient.objects.filter(registered_by=actor, client_id=client_id).first()
        if existing is not None:
            return existing, False
    values = _clean(data)
    holders = identifier_holders(
        facility_id=facility.id,
        citizen_id=values["citizen_id"],
        insurance_number=values["insurance_number"],
    )
    if holders:
        twin = next(
            (p for p in holders.values() if client_id and p.client_id == client_id),
            None,
        )
        if twin is not None and twin.registered_by_id == actor.pk:
            # The same registration sent twice at once, and the other one committed first.
            return twin, False
        raise _identifier_taken(holders)
    if not allow_duplicate:
        duplicates = patient_duplicates(
            facility_id=facility.id,
            full_name=data.full_name,
            birth_date=values["birth_date"],
            commune_id=data.commune.id,
        )
        twin = next((p for p in duplicates if client_id and p.client_id == client_id), None)
        if twin is not None and twin.registered_by_id == actor.pk:
            # The same registration sent twice at once, and the other one committed first.
            return twin, False
        if duplicates:
            raise ValidationError(
                _(
                    "This patient may already be registered: %(names)s. Open the existing record, or confirm that this is another person."
                )
                % {
                    "names": "; ".join(
                        f"{p.full_name} ({p.birth_date:%d/%m/%Y})" for p in duplicates
                    )
                },
                code="duplicate",
            )
    patient = Patient(
        facility=facility,
        full_name=" ".join(data.full_name.split()),
        sex=data.sex,
        commune=data.commune,
        address=data.address.strip(),
        ethnicity=data.ethnicity,
        household=data.household,
        has_disability=data.has_disability,
        registered_by=actor,
        client_id=client_id,
        **values,
    )
    patient.full_clean(exclude=["registered_by", "facility", "commune"])
    try:
        with transaction.atomic():
            patient.save()
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=patient,
                purpose="registration",
                origin=origin,
            )
    except IntegrityError:
        # The same registration sent twice at once: the other request won; answer with its row.
        if client_id is not None:
            existing = Patient.objects.filter(registered_by=actor, client_id=client_id).first()
            if existing is not None:
                return existing, False
        # Or another registration under the same identifier committed between the check above
        # and this one (the database's constraint caught it).
        holders = identifier_holders(
            facility_id=facility.id,
            citizen_id=patient.citizen_id,
            insurance_number=patient.insurance_number,
        )
        if holders:
            raise _identifier_taken(holders) from None
        raise
    return patient, True


def consent_record(
    *,
    patient: Patient,
    actor: User,
    method: str,
    purpose: str = ConsentPurpose.TELECONSULTATION,
    given_by: str = "",
    origin: AuditOrigin = SYSTEM,
) -> PatientConsent:
    if patient.facility_id not in registrable_facility_ids(actor):
        raise ValidationError(_("Only staff of the patient's facility record consent."))
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        existing = PatientConsent.objects.active().filter(patient=patient, purpose=purpose).first()
        if existing is not None:
            return existing
        consent = PatientConsent(
            patient=patient,
            purpose=purpose,
            method=method,
            given_by=given_by.strip(),
            recorded_by=actor,
        )
        consent.full_clean(exclude=["patient", "recorded_by"])
        consent.save()
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=consent,
            purpose="consent",
            detail={"patient": str(patient.public_id), "purpose": purpose, "method": method},
            origin=origin,
        )
    return consent


def consent_withdraw(*, consent: PatientConsent, actor: User, origin: AuditOrigin = SYSTEM) -> bool:
    if consent.patient.facility_id not in registrable_facility_ids(actor):
        raise ValidationError(_("Only staff of the patient's facility record consent."))
    with transaction.atomic():
        row = PatientConsent.objects.select_for_update().get(pk=consent.pk)
        if row.withdrawn_at is not None:
            return False
        row.withdrawn_at = timezone.now()
        row.withdrawn_by = actor
        row.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=row,
            purpose="consent withdrawn",
            detail={"patient": str(row.patient.public_id)},
            origin=origin,
        )
    consent.withdrawn_at = row.withdrawn_at
    return True


def has_consent(patient: Patient, purpose: str = ConsentPurpose.TELECONSULTATION) -> bool:
    return PatientConsent.objects.active().filter(patient=patient, purpose=purpose).exists()
