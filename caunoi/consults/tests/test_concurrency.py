"""Concurrency on PostgreSQL: committed rows and real parallel connections (no test
transaction around these tests; they remove what they add)."""

import threading
import uuid

import pytest
from django.db import connection

from caunoi.consults.models import Consultation
from caunoi.consults.tests.factories import summary
from caunoi.patients.tests.factories import make_patient


def _body(patient, **overrides):
    return {
        "patient": str(patient.public_id),
        "specialty": "internal-medicine",
        "urgency": "urgent",
        **summary(),
        **overrides,
    }


@pytest.mark.postgres
def test_twenty_parallel_submissions_with_one_key_make_one_consult(committed_db):
    from django.test import Client

    from caunoi.accounts.models import ApiToken, User
    from caunoi.accounts.services import api_token_create

    worker = User.objects.get(username="worker")
    patient = make_patient(worker, name="Song Song Thử")
    _row, token = api_token_create(user=worker, name="concurrency", actor=worker)
    key = str(uuid.uuid4())
    barrier = threading.Barrier(20)
    statuses = []

    def submit():
        client = Client(headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
        barrier.wait()
        try:
            statuses.append(
                client.post(
                    "/api/consults", _body(patient), content_type="application/json"
                ).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert Consultation.objects.filter(requester=worker, client_id=key).count() == 1, statuses
        assert sorted(statuses).count(201) == 1
        assert all(s in (200, 201) for s in statuses)
    finally:
        Consultation.objects.filter(patient=patient).delete()
        patient.consents.all().delete()
        patient.delete()
        ApiToken.objects.filter(user=worker, name="concurrency").delete()


@pytest.mark.postgres
def test_two_specialists_claiming_at_once_end_with_one_owner(committed_db):
    from django.core.exceptions import PermissionDenied

    from caunoi.accounts.models import User
    from caunoi.consults.services import ConsultationInput, consultation_claim
    from caunoi.consults.services import consultation_submit as submit
    from caunoi.network.models import Membership, Specialty

    worker = User.objects.get(username="worker")
    specialty = Specialty.objects.get(code="internal-medicine")
    patient = make_patient(worker, name="Tranh Nhận Thử")
    c, _created = submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(patient=patient, specialty=specialty, summary=summary()),
    )
    ids = (
        Membership.objects.active()
        .filter(facility_id=c.hub_id or 0, role="specialist", specialties=specialty)
        .values_list("user_id", flat=True)[:2]
    )
    rivals = list(User.objects.filter(id__in=ids))
    assert len(rivals) == 2
    barrier = threading.Barrier(2)
    outcomes = []

    def claim(user):
        barrier.wait()
        try:
            consultation_claim(consultation=Consultation.objects.get(pk=c.pk), actor=user)
            outcomes.append("won")
        except PermissionDenied:
            outcomes.append("lost")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(u,)) for u in rivals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sorted(outcomes) == ["lost", "won"]
        c.refresh_from_db()
        assert c.specialist_id in {u.id for u in rivals}
        assert c.events.filter(kind="claimed").count() == 1
    finally:
        Consultation.objects.filter(pk=c.pk).delete()
        patient.consents.all().delete()
        patient.delete()


@pytest.mark.postgres
def test_accept_and_decline_at_once_end_with_one_decision(committed_db):
    from django.core.exceptions import ValidationError

    from caunoi.accounts.models import User
    from caunoi.network.models import Membership
    from caunoi.referrals.models import Referral
    from caunoi.referrals.services import referral_accept, referral_decline
    from caunoi.referrals.tests.factories import make_referral, provincial_hospital

    worker = User.objects.get(username="worker")
    patient = make_patient(worker, name="Hai Quyết Định")
    r = make_referral(worker, patient)
    clinicians = list(
        User.objects.filter(
            id__in=Membership.objects.active()
            .filter(facility=provincial_hospital(), role="clinician")
            .values("user_id")[:2]
        )
    )
    assert len(clinicians) == 2
    barrier = threading.Barrier(2)
    outcomes = []

    def decide(user, accept):
        barrier.wait()
        try:
            fresh = Referral.objects.get(pk=r.pk)
            if accept:
                referral_accept(referral=fresh, actor=user)
            else:
                referral_decline(referral=fresh, actor=user, reason="Hết giường")
            outcomes.append("decided")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(clinicians[0], True)),
        threading.Thread(target=decide, args=(clinicians[1], False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert sorted(outcomes) == ["decided", "refused"]
        final = Referral.objects.get(pk=r.pk)
        assert final.status in ("accepted", "declined")
        assert final.events.filter(kind__in=["accepted", "declined"]).count() == 1
    finally:
        Referral.objects.filter(pk=r.pk).delete()
        patient.consents.all().delete()
        patient.delete()
