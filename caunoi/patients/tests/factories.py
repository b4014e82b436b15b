"""Test data for patients: registered at the worker's station, with consent unless told."""

from __future__ import annotations

import uuid
from typing import Any

from caunoi.accounts.models import User
from caunoi.patients.models import Patient
from caunoi.patients.services import PatientInput, consent_record, patient_register


def make_patient(
    worker: User, *, name: str = "Giàng Thị Dợ", consent: bool = True, **extra: Any
) -> Patient:
    facility = worker.memberships.get(role="worker").facility
    assert facility is not None
    assert facility.commune is not None
    data = PatientInput(
        full_name=name,
        sex=extra.pop("sex", "female"),
        commune=facility.commune,
        birth_date=extra.pop("birth_date", None),
        age_years=extra.pop("age_years", 34),
        ethnicity=extra.pop("ethnicity", "08"),
        **extra,
    )
    patient, _created = patient_register(
        actor=worker, facility=facility, data=data, client_id=uuid.uuid4(), allow_duplicate=True
    )
    if consent:
        consent_record(patient=patient, actor=worker, method="verbal")
    return patient
