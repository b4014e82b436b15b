import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from caunoi.audit.models import AuditEvent
from caunoi.notifications.models import Notification
from caunoi.patients.tests.factories import make_patient
from caunoi.referrals.access import visible_referrals
from caunoi.referrals.models import Referral, ReferralStatus
from caunoi.referrals.services import (
    ReferralInput,
    referral_accept,
    referral_acknowledge,
    referral_arrive,
    referral_cancel,
    referral_counter_refer,
    referral_create,
    referral_decline,
    referral_discharge,
    referral_flag_overdue,
)
from caunoi.referrals.tests.factories import make_referral, provincial_hospital

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(worker):
    return make_patient(worker, name="Mua Thị Súa")


def _fresh(r):
    return Referral.objects.get(pk=r.pk)


def _counter(r, actor):
    return referral_counter_refer(
        referral=_fresh(r),
        actor=actor,
        diagnosis="Cơn đau thắt ngực ổn định",
        follow_up="Uống thuốc đều, đo huyết áp hằng ngày",
        next_appointment=timezone.localdate() + timedelta(days=30),
    )


def test_the_whole_loop_with_its_timeline_audit_and_notifications(
    worker, receiver, patient, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        r = make_referral(worker, patient)
    assert r.status == ReferralStatus.SENT
    assert r.from_facility == patient.facility
    assert Notification.objects.filter(user=receiver, kind="referral.new").exists()
    assert DBTaskResult.objects.filter(
        task_path__endswith="referral_arrival_check", args_kwargs__args=[r.pk]
    ).exists()
    referral_accept(referral=_fresh(r), actor=receiver)
    referral_arrive(referral=_fresh(r), actor=receiver)
    with django_capture_on_commit_callbacks(execute=True):
        referral_discharge(referral=_fresh(r), actor=receiver, outcome="outpatient")
    assert DBTaskResult.objects.filter(
        task_path__endswith="referral_counter_check", args_kwargs__args=[r.pk]
    ).exists()
    _counter(r, receiver)
    assert Notification.objects.filter(user=worker, kind="referral.counter").exists()
    referral_acknowledge(referral=_fresh(r), actor=worker)
    final = _fresh(r)
    assert final.status == ReferralStatus.ACKNOWLEDGED
    assert final.follow_up.startswith("Uống thuốc")
    kinds = list(final.events.values_list("kind", flat=True))
    assert kinds == [
        "sent",
        "accepted",
        "arrived",
        "discharged",
        "counter_referred",
        "acknowledged",
    ]
    audited = AuditEvent.objects.filter(
        object_type="referrals.referral", object_id=str(r.public_id)
    ).count()
    assert audited == 6
    assert all(
        "Mua Thị Súa" not in n.title + n.body
        for n in Notification.objects.filter(kind__startswith="referral")
    )


@pytest.mark.parametrize(
    ("steps", "attempt", "fragment"),
    [
        (["decline"], "arrive", "accepted referral"),
        (["accept"], "counter", "after discharge"),
        (["accept"], "accept", "waiting for a decision"),
        ([], "discharge", "after the patient arrived"),
        (["accept", "arrive"], "acknowledge", "counter-referral"),
        (["decline"], "accept", "waiting for a decision"),
        (["accept"], "cancel", "not yet decided"),
    ],
)
def test_every_guard_answers_clearly_and_changes_nothing(
    worker, receiver, patient, steps, attempt, fragment
):
    r = make_referral(worker, patient)
    run = {
        "accept": lambda: referral_accept(referral=_fresh(r), actor=receiver),
        "decline": lambda: referral_decline(
            referral=_fresh(r), actor=receiver, reason="Hết giường"
        ),
        "arrive": lambda: referral_arrive(referral=_fresh(r), actor=receiver),
        "discharge": lambda: referral_discharge(
            referral=_fresh(r), actor=receiver, outcome="admitted"
        ),
        "counter": lambda: _counter(r, receiver),
        "acknowledge": lambda: referral_acknowledge(referral=_fresh(r), actor=worker),
        "cancel": lambda: referral_cancel(referral=_fresh(r), actor=worker),
    }
    for step in steps:
        run[step]()
    before = _fresh(r)
    events = before.events.count()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        run[attempt]()
    assert fragment in " ".join(refused.value.messages)
    after = _fresh(r)
    assert (after.status, after.updated_at, after.events.count()) == (
        before.status,
        before.updated_at,
        events,
    )


def test_the_sender_cannot_take_the_receivers_steps_nor_outsiders_any(
    worker, receiver, officer, patient
):
    r = make_referral(worker, patient)
    with pytest.raises(ValidationError):
        referral_accept(referral=_fresh(r), actor=worker)
    with pytest.raises(PermissionDenied):
        referral_accept(referral=_fresh(r), actor=officer)
    assert _fresh(r).status == ReferralStatus.SENT


def test_creation_is_idempotent_and_refuses_bad_input(worker, patient):
    key = uuid.uuid4()
    data = ReferralInput(patient=patient, to_facility=provincial_hospital(), reason="x")
    first, _created = referral_create(actor=worker, client_id=key, data=data)
    again, _created = referral_create(actor=worker, client_id=key, data=data)
    assert first.pk == again.pk
    with pytest.raises(ValidationError) as to_itself:
        referral_create(
            actor=worker,
            client_id=uuid.uuid4(),
            data=ReferralInput(patient=patient, to_facility=patient.facility, reason="x"),
        )
    assert "to_facility" in to_itself.value.message_dict
    with pytest.raises(ValidationError) as no_reason:
        referral_create(
            actor=worker,
            client_id=uuid.uuid4(),
            data=ReferralInput(patient=patient, to_facility=provincial_hospital(), reason="  "),
        )
    assert "reason" in no_reason.value.message_dict
    assert Referral.objects.filter(patient=patient).count() == 1


def test_a_declined_referral_is_redirected_to_another_facility(worker, receiver, patient):
    r = make_referral(worker, patient)
    referral_decline(referral=_fresh(r), actor=receiver, reason="Không có bác sĩ tim mạch")
    hub = patient.facility.hub_links.first().hub
    again = make_referral(worker, patient, to_facility=hub, redirected_from=_fresh(r))
    assert again.redirected_from_id == r.pk
    assert again.to_facility == hub


def test_receiving_staff_see_the_patient_others_do_not(worker, receiver, officer, patient):
    from caunoi.patients.access import visible_patients

    assert not visible_patients(receiver).filter(pk=patient.pk).exists()
    r = make_referral(worker, patient)
    assert visible_patients(receiver).filter(pk=patient.pk).exists()
    assert visible_referrals(receiver).filter(pk=r.pk).exists()
    assert not visible_referrals(officer).filter(pk=r.pk).exists()


def test_overdue_checks_flag_once_and_only_when_due(worker, receiver, patient, settings):
    r = make_referral(worker, patient)
    assert referral_flag_overdue(referral_id=r.pk, which="arrival") is False  # not due yet
    Referral.objects.filter(pk=r.pk).update(
        departed_at=timezone.now() - timedelta(hours=settings.REFERRAL_ARRIVAL_HOURS + 1)
    )
    assert referral_flag_overdue(referral_id=r.pk, which="arrival") is True
    assert referral_flag_overdue(referral_id=r.pk, which="arrival") is False  # once
    assert _fresh(r).arrival_overdue_at is not None
    assert Notification.objects.filter(user=receiver, kind="referral.overdue").exists()
    referral_accept(referral=_fresh(r), actor=receiver)
    referral_arrive(referral=_fresh(r), actor=receiver)
    referral_discharge(referral=_fresh(r), actor=receiver, outcome="admitted")
    Referral.objects.filter(pk=r.pk).update(
        discharged_at=timezone.now() - timedelta(days=settings.REFERRAL_COUNTER_DAYS + 1)
    )
    assert referral_flag_overdue(referral_id=r.pk, which="counter") is True
    assert _fresh(r).counter_overdue_at is not None
