import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from caunoi.consults.models import Consultation
from caunoi.patients.tests.factories import make_patient
from caunoi.referrals.metrics import referral_metrics
from caunoi.referrals.models import Referral
from caunoi.referrals.services import (
    referral_accept,
    referral_arrive,
    referral_decline,
    referral_discharge,
)
from caunoi.referrals.tests.factories import make_referral, provincial_hospital

pytestmark = pytest.mark.django_db


def _fresh(r):
    return Referral.objects.get(pk=r.pk)


def test_metrics_from_a_hand_built_set(worker, receiver):
    station = worker.memberships.get(role="worker").facility
    start = timezone.now() - timedelta(days=1)
    refs = [make_referral(worker, make_patient(worker, name=f"Người {i}")) for i in range(4)]
    referral_accept(referral=_fresh(refs[0]), actor=receiver)
    referral_accept(referral=_fresh(refs[1]), actor=receiver)
    referral_decline(referral=_fresh(refs[2]), actor=receiver, reason="Hết giường")
    # refs[0] arrives 3 h after leaving, refs[1] 5 h after.
    left = timezone.now() - timedelta(hours=10)
    for r, hours in ((refs[0], 3), (refs[1], 5)):
        Referral.objects.filter(pk=r.pk).update(departed_at=left, sent_at=left)
        referral_arrive(
            referral=_fresh(r), actor=receiver, arrived_at=left + timedelta(hours=hours)
        )
    referral_discharge(referral=_fresh(refs[0]), actor=receiver, outcome="outpatient")
    m = referral_metrics(
        start=start, end=timezone.now() + timedelta(minutes=1), facility_ids=[station.pk]
    )
    assert (m.referrals, m.decided, m.accepted) == (4, 3, 2)
    assert m.acceptance_rate == 66.7
    assert m.arrived == 2
    assert m.median_hours_to_arrival == 4.0
    assert m.discharged == 1
    assert m.counter_referred == 0
    assert m.counter_referral_rate == 0.0
    other = referral_metrics(
        start=start, end=timezone.now(), facility_ids=[provincial_hospital().pk]
    )
    assert other.referrals == 0
    assert other.acceptance_rate is None
    assert (
        m.consults_closed
        == Consultation.objects.filter(
            requester_facility=station, status="closed", closed_at__gte=start
        ).count()
    )


def test_api_runs_the_loop_and_keeps_the_fixed_paths(worker, receiver, api_client, login):
    patient = make_patient(worker, name="Hờ A Chớ")
    w, r = api_client(worker), api_client(receiver)
    body = {
        "patient": str(patient.public_id),
        "to_facility": str(provincial_hospital().public_id),
        "reason": "Gãy xương cẳng tay",
        "diagnoses": ["S52.5"],
        "urgency": "urgent",
        "transport": "ambulance",
    }
    key = str(uuid.uuid4())
    created = w.post(
        "/api/referrals", body, content_type="application/json", headers={"Idempotency-Key": key}
    )
    again = w.post(
        "/api/referrals", body, content_type="application/json", headers={"Idempotency-Key": key}
    )
    assert created.status_code == 201
    assert again.status_code == 200
    ref = created.json()
    assert ref["id"] == again.json()["id"]
    assert ref["diagnoses"] == ["S52.5"]
    assert ref["id"] in [x["id"] for x in r.get("/api/referrals?box=in&limit=500").json()["items"]]
    assert ref["id"] in [x["id"] for x in w.get("/api/referrals?box=out&limit=500").json()["items"]]
    early = r.post(
        f"/api/referrals/{ref['id']}/arrive",
        {},
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    assert early.status_code == 422
    assert "accepted referral" in early.json()["errors"][0]["message"]
    for step, payload in [
        ("accept", None),
        ("arrive", {}),
        ("discharge", {"outcome": "outpatient"}),
        (
            "counter-referral",
            {"diagnosis": "Gãy đầu dưới xương quay", "follow_up": "Tháo nẹp sau 4 tuần"},
        ),
    ]:
        res = r.post(
            f"/api/referrals/{ref['id']}/{step}", payload or {}, content_type="application/json"
        )
        assert res.status_code == 200, (step, res.content)
    done = w.post(f"/api/referrals/{ref['id']}/acknowledge")
    assert done.json()["status"] == "acknowledged"
    assert done.json()["counter_referral"]["follow_up"] == "Tháo nẹp sau 4 tuần"
    slip = login(worker).get(done.json()["slip_url"])
    assert slip["Content-Type"] == "application/pdf"
    from io import BytesIO

    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(BytesIO(slip.content)).pages)
    assert "Hờ A Chớ" in text
    assert "GIẤY CHUYỂN CƠ SỞ KHÁM BỆNH, CHỮA BỆNH" in text


def test_api_refuses_outsiders_and_bad_input(worker, officer, api_client):
    patient = make_patient(worker, name="Ngoài Cuộc")
    r = make_referral(worker, patient)
    assert api_client(officer).get(f"/api/referrals/{r.public_id}").status_code == 404
    bad = api_client(worker).post(
        "/api/referrals",
        {"patient": str(patient.public_id), "to_facility": str(uuid.uuid4()), "reason": "x"},
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "to_facility"
