"""A referral shares its patient with the receiving facility (registered with
``patients.sharing`` in ``apps.ReferralsConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from caunoi.accounts.models import User
from caunoi.network.access import Scope
from caunoi.patients.models import Patient
from caunoi.patients.sharing import PatientShare
from caunoi.referrals.access import visible_referrals
from caunoi.referrals.models import Referral


def _patient_ids(user: User | AnonymousUser, scope: Scope) -> list[QuerySet[Any]]:
    return [Referral.objects.filter(to_facility_id__in=scope.facility_ids).values("patient_id")]


def _rows(user: User | AnonymousUser, patient: Patient) -> Any:
    return (
        visible_referrals(user)
        .filter(patient=patient)
        .select_related("patient", "from_facility", "to_facility")
        .order_by("-sent_at")[:50]
    )


REFERRAL_SHARE = PatientShare(name="referrals", patient_ids=_patient_ids, rows=_rows)
