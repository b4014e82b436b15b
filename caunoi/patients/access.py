"""Who may read which patient.

A patient is visible to the staff of the facility that registered them, to the hub staff and
invited colleagues of a consultation about them (the consult shares the case, as Circular
49/2017 intends), and to the staff of a facility the patient was referred to. Everyone else
gets 404.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q

from caunoi.accounts.models import User
from caunoi.core.access import get_or_404
from caunoi.network.access import user_scope
from caunoi.network.models import Facility
from caunoi.patients.models import Patient, PatientQuerySet
from caunoi.patients.sharing import patient_shares


def visible_patients(user: User | AnonymousUser) -> PatientQuerySet:
    scope = user_scope(user)
    if not scope.is_clinical:
        return Patient.objects.none()
    # The consults and referrals that share a patient (patients.sharing, filled by those apps),
    # as correlated EXISTS: looking up one patient probes each app's patient index, where an
    # ``id IN (subquery)`` made PostgreSQL hash every consult of a hub first (27 ms at a million
    # consults, on every submission); for a list the planner may still hash them.
    visible = Q(facility_id__in=scope.facility_ids)
    for share in patient_shares():
        for way_in in share.patient_ids(user, scope):
            visible |= Q(Exists(way_in.filter(patient_id=OuterRef("pk"))))
    return Patient.objects.filter(visible).as_read("patient record")


def registrable_facility_ids(user: User | AnonymousUser) -> frozenset[int]:
    """Facilities at which the user may register patients and ask for consultations."""
    return user_scope(user).facility_ids


def registration_facility(user: User | AnonymousUser) -> Facility | None:
    """The facility at which the user registers patients: their first clinical facility."""
    scope = user_scope(user)
    for m in scope.memberships:
        if m.facility is not None and m.facility_id in scope.facility_ids:
            return m.facility
    return None


def access_patient(user: User | AnonymousUser, public_id: UUID | str) -> Patient:
    return get_or_404(
        visible_patients(user).select_related("commune", "commune__province", "facility"),
        public_id=public_id,
    )


def can_edit_patient(user: User | AnonymousUser, patient: Patient) -> bool:
    return patient.facility_id in user_scope(user).facility_ids
