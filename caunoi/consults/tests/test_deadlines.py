"""Deadlines: a task scheduled at submission with run_after escalates an unanswered consult;
offline people get an email through a real SMTP server."""

import socket
import uuid
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.patients.tests.factories import make_patient

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
    )[0]


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
