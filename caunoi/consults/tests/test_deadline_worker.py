"""The deadline task run by the real worker (`caunoi worker --batch`) against committed rows,
as in production: the worker commits and closes its own connections, which a rolled-back test
transaction cannot survive on PostgreSQL. Each test removes what it adds."""

import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation, OnCallShift
from caunoi.consults.services import ConsultationInput, consultation_submit, message_post
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.consults.tests.test_deadlines import smtp  # noqa: F401 -- the SMTP fixture
from caunoi.notifications.models import Notification
from caunoi.patients.tests.factories import make_patient


@pytest.fixture
def people(committed_db):
    users = {
        name: User.objects.get(username=name) for name in ("worker", "coordinator", "specialist")
    }
    made: list[Consultation] = []
    started = timezone.now()
    yield users, made
    for c in made:
        patient = c.patient
        Consultation.objects.filter(pk=c.pk).delete()
        patient.consents.all().delete()
        patient.delete()
    OnCallShift.objects.filter(user=users["specialist"]).delete()
    Notification.objects.filter(created_at__gte=started).delete()
    DBTaskResult.objects.filter(enqueued_at__gte=started).delete()


def _submit(worker, made, urgency="emergency"):
    patient = make_patient(worker, name="Hạng A Páo")
    c, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=patient, specialty=internal_medicine(), urgency=urgency, summary=summary()
        ),
    )
    made.append(c)
    return c


def _due_now(c):
    """Move the deadline (and its scheduled task) into the past, as if 30 minutes went by."""
    past = timezone.now() - timedelta(seconds=5)
    Consultation.objects.filter(pk=c.pk).update(deadline_at=past)
    DBTaskResult.objects.filter(
        task_path__endswith="consultation_deadline_check", args_kwargs__args=[c.pk]
    ).update(run_after=past)


def test_unanswered_consult_is_escalated_by_the_worker_and_offline_people_are_mailed(people, smtp):  # noqa: F811
    (users, made) = people
    worker, coordinator, specialist = users["worker"], users["coordinator"], users["specialist"]
    OnCallShift.objects.create(
        hub=coordinator.memberships.get().facility,
        user=specialist,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=8),
    )
    c = _submit(worker, made)
    _due_now(c)
    # The batch also runs the email task that the escalation enqueues.
    call_command("worker", batch=True, interval=0.1)
    c.refresh_from_db()
    assert c.escalated_at is not None
    assert c.events.filter(kind="escalated").count() == 1
    overdue = Notification.objects.filter(kind="consult.overdue")
    assert {n.user_id for n in overdue} >= {coordinator.id, specialist.id}
    recipients = {r for rcpts, _ in smtp.messages for r in rcpts}
    assert coordinator.email in recipients
    assert specialist.email in recipients
    body = "\n".join(content for _, content in smtp.messages)
    assert "Hạng A Páo" not in body  # no patient identifiers leave by email
    assert Notification.objects.filter(kind="consult.overdue", emailed_at__isnull=False).exists()


def test_an_answered_consult_is_not_escalated(people):
    (users, made) = people
    worker, specialist = users["worker"], users["specialist"]
    c = _submit(worker, made)
    message_post(consultation=c, actor=specialist, body="Đang xem, gọi lại sau 5 phút.")
    _due_now(c)
    call_command("worker", batch=True, interval=0.1)
    c.refresh_from_db()
    assert c.escalated_at is None
    assert c.first_response_at is not None  # the specialist's message stopped the clock
