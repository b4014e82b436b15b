import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.network.models import Membership, Profession, Role, Specialty
from caunoi.transfers.services import TransferInput, transfer_create


@pytest.fixture
def hospital(receiver):
    """The receiving facility: `receiver`'s provincial hospital."""
    return receiver.memberships.get(role=Role.CLINICIAN).facility


@pytest.fixture
def director(hospital):
    """The head of the receiving hospital (giám đốc), who authorises techniques."""
    user = User.objects.create_user(username="giamdoc", full_name="Nông Văn Giám")
    Membership.objects.create(
        user=user,
        facility=hospital,
        role=Role.CLINICIAN,
        profession=Profession.DOCTOR,
        is_head=True,
    )
    return user


@pytest.fixture
def hub(specialist):
    return specialist.memberships.get(role=Role.SPECIALIST).facility


def make_transfer(specialist, hub, hospital, trainees, *, supervised=2, observed=1, **kw):
    data = {
        "receiver": hospital,
        "technique_name": "Đặt stent động mạch vành",
        "technique_code": "03.2.45",
        "specialty": Specialty.objects.get(code="internal-medicine"),
        "level": "specialised",
        "agreed_on": timezone.localdate() - timedelta(days=60),
        "planned_end": timezone.localdate() + timedelta(days=120),
        "observed_target": observed,
        "supervised_target": supervised,
        "trainers": [specialist],
        "trainees": trainees,
    }
    data.update(kw)
    return transfer_create(
        actor=specialist, hub=hub, data=TransferInput(**data), client_id=uuid.uuid4()
    )[0]


@pytest.fixture
def transfer(specialist, hub, hospital, receiver):
    return make_transfer(specialist, hub, hospital, [receiver])
