"""The apps above patients that share a patient with someone, and show their rows on the
patient's page.

A consultation shares the patient with the hub and invited colleagues; a referral with the
receiving facility. ``patients`` sits below ``consults`` and ``referrals`` and may not import
them, so each of them registers a ``PatientShare`` in its ``AppConfig.ready()``;
``access.visible_patients`` and the patient page ask every registered share, in the order of
``INSTALLED_APPS``. A new domain that shares patients (training cases, programmes) registers
its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from caunoi.accounts.models import User
from caunoi.network.access import Scope
from caunoi.patients.models import Patient


@dataclass(frozen=True)
class PatientShare:
    #: The name of the rows in the patient page's context ("consults", "referrals").
    name: str
    #: ``(user, scope)`` → the ``patient_id`` values this app shares with the user, beyond the
    #: patients of the user's own facilities: one queryset per way in, each backed by an index
    #: (``access.visible_patients`` asks each with a correlated EXISTS).
    patient_ids: Callable[[User | AnonymousUser, Scope], Sequence[QuerySet[Any]]]
    #: ``(user, patient)`` → the rows about the patient the user may see, for the patient page.
    rows: Callable[[User | AnonymousUser, Patient], Any]


_SHARES: dict[str, PatientShare] = {}


def share_register(share: PatientShare) -> None:
    _SHARES[share.name] = share


def patient_shares() -> list[PatientShare]:
    return list(_SHARES.values())
