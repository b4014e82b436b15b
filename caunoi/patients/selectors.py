"""Reads of patients for the API's lists."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from caunoi.accounts.models import User
from caunoi.patients.access import visible_patients
from caunoi.patients.models import Patient, PatientConsent, PatientQuerySet


def patient_list(user: User | AnonymousUser, *, q: str = "") -> PatientQuerySet:
    """Patients the user may see, by name; ``q`` matches names ignoring diacritics, or a citizen
    ID or phone."""
    qs = visible_patients(user).select_related("commune", "commune__province", "facility")
    if q:
        qs = qs.search(q)
    return qs.order_by("full_name", "id")


def with_active_consent(patients: list[Patient]) -> set[int]:
    """The ids of those patients whose consent is active (one query for a page)."""
    return set(
        PatientConsent.objects.active()
        .filter(patient__in=patients)
        .values_list("patient_id", flat=True)
    )
