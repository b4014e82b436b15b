from __future__ import annotations

import uuid
from typing import Any

from caunoi.accounts.models import User
from caunoi.network.models import Facility, Membership
from caunoi.patients.models import Patient
from caunoi.referrals.models import Referral
from caunoi.referrals.services import ReferralInput, referral_create


def provincial_hospital() -> Facility:
    """The hospital of the `receiver` persona (Bệnh viện Đa khoa tỉnh Cao Bằng in the fixture
    network, of Tuyên Quang in the demo network)."""
    facility = Membership.objects.get(user__username="receiver").facility
    assert facility is not None
    return facility


def make_referral(worker: User, patient: Patient, **extra: Any) -> Referral:
    data = ReferralInput(
        patient=patient,
        to_facility=extra.pop("to_facility", provincial_hospital()),
        reason=extra.pop("reason", "Đau ngực, cần điện tâm đồ gắng sức"),
        **extra,
    )
    return referral_create(actor=worker, client_id=uuid.uuid4(), data=data)[0]
