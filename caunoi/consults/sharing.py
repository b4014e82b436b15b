"""What consultations lend to the apps below them, registered in ``apps.ConsultsConfig.ready``:
a consultation shares its patient with the hub staff and invited colleagues who may see it
(``patients.sharing``), and those people may follow its live updates
(``notifications.live.may_follow``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from caunoi.accounts.models import User
from caunoi.consults.access import shared_consultations, visible_consultations
from caunoi.network.access import Scope
from caunoi.patients.models import Patient
from caunoi.patients.sharing import PatientShare


def _patient_ids(user: User | AnonymousUser, scope: Scope) -> list[QuerySet[Any]]:
    return [shared.values("patient_id") for shared in shared_consultations(user)]


def _rows(user: User | AnonymousUser, patient: Patient) -> Any:
    return (
        visible_consultations(user)
        .filter(patient=patient)
        .select_related("patient", "specialty", "hub", "requester_facility", "specialist")
        .order_by("-created_at")[:50]
    )


CONSULTATION_SHARE = PatientShare(name="consults", patient_ids=_patient_ids, rows=_rows)


def consult_followable(user: User | AnonymousUser, public_id: str) -> bool:
    return visible_consultations(user).filter(public_id=public_id).exists()
