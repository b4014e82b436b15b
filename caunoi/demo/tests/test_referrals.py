import pytest

from caunoi.demo.referrals import demo_referrals_load
from caunoi.patients.tests.factories import make_patient
from caunoi.referrals.models import Referral

# Demo facts: the registry of the demo network (or its generators).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_network")]


def test_demo_referrals_cover_the_states_and_load_once(worker, receiver):
    for i in range(8):
        make_patient(worker, name=f"Người Mẫu {i}")
    made = demo_referrals_load()
    assert made == 8
    refs = Referral.objects.filter(from_facility=worker.memberships.get().facility)
    assert refs.count() == 8
    assert set(refs.values_list("status", flat=True)) == {
        "sent",
        "accepted",
        "declined",
        "arrived",
        "discharged",
        "counter_referred",
        "acknowledged",
        "cancelled",
    }
    assert all(r.to_facility == receiver.memberships.get().facility for r in refs)
    assert demo_referrals_load() == 0
