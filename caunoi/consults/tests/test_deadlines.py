"""Deadlines: a task scheduled at submission with run_after escalates an unanswered consult;
offline people get an email through a real SMTP server."""

import socket
import uuid
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caunoi.consults.models import Consultation, OnCallShift
from caunoi.consults.services import ConsultationInput, consultation_submit, message_post
from caunoi.consults.tests.factories import internal_medicine, make_patient, summary
from caunoi.notifications.models import Notification

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    yield inbox
    controller.stop()


def _submit(worker, urgency="emergency"):
    patient = make_patient(worker, name="Hạng A Páo")
    return consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=patient, specialty=internal_medicine(), urgency=urgency, summary=summary()
        ),
    )


def _due_now(c):
    """Move the deadline (and its scheduled task) into the past, as if 30 minutes went by."""
    past = timezone.now() - timedelta(seconds=5)
    Consultation.objects.filter(pk=c.pk).update(deadline_at=past)
    DBTaskResult.objects.filter(task_path__endswith="consultation_deadline_check").update(
        run_after=past
    )


def test_submission_schedules_the_deadline_task_at_the_deadline(
    worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        c = _submit(worker, urgency="urgent")
    task = DBTaskResult.objects.get(
        task_path__endswith="consultation_deadline_check", args_kwargs__args=[c.pk]
    )
    assert abs((task.run_after - c.deadline_at).total_seconds()) < 1
    assert (c.deadline_at - c.submitted_at) == timedelta(hours=4)


def test_unanswered_consult_is_escalated_by_the_worker_and_offline_people_are_mailed(
    worker, coordinator, specialist, smtp, django_capture_on_commit_callbacks
):
    OnCallShift.objects.create(
        hub=coordinator.memberships.get().facility,
        user=specialist,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=8),
    )
    with django_capture_on_commit_callbacks(execute=True):
        c = _submit(worker)
    _due_now(c)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("worker", batch=True, interval=0.1)
    # Notifications made inside the task are mailed by a second task the batch also runs.
    with django_capture_on_commit_callbacks(execute=True):
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


def test_an_answered_consult_is_not_escalated(
    worker, specialist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        c = _submit(worker)
    message_post(consultation=c, actor=specialist, body="Đang xem, gọi lại sau 5 phút.")
    _due_now(c)
    call_command("worker", batch=True, interval=0.1)
    c.refresh_from_db()
    assert c.escalated_at is None
    assert c.first_response_at is not None  # the specialist's message stopped the clock
