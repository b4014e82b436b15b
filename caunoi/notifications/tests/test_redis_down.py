"""Redis unreachable: writes still answer 2xx, everybody counts as offline and is mailed, pushes
are skipped with one warning in the log. The channel layer and the cache point at a port where
nothing listens (connections refused at once). Requests run against committed rows, as in
production, where after-commit work that raises would turn a saved write into a 500."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caunoi.accounts.models import ApiToken, User
from caunoi.consults.models import Consultation
from caunoi.core.outage import Outage
from caunoi.notifications import live
from caunoi.notifications.models import Notification
from caunoi.notifications.presence import (
    is_online,
    online_among,
    presence_enter,
    presence_leave,
)
from caunoi.patients.tests.factories import make_patient


def _warnings(caplog, text):
    return [r for r in caplog.records if r.levelno == logging.WARNING and text in r.getMessage()]


def test_push_to_an_unreachable_channel_layer_returns_and_warns_once(
    redis_down, caplog, monkeypatch
):
    attempts = []
    send = live._send

    async def counting(*args):
        attempts.append(args[1])
        await send(*args)

    monkeypatch.setattr(live, "_send", counting)
    with caplog.at_level(logging.WARNING):
        for n in range(5):
            live.push(live.user_group(n), {"type": "notification", "unread": n})
        assert live.flush()

    # One try found Redis down; the next four were skipped without waiting for it.
    assert attempts == ["user.0"]
    assert live.outage.down
    assert live.outage.last_error.startswith("ConnectionError: ")
    down = _warnings(caplog, "Channel layer (live updates) unreachable")
    assert len(down) == 1
    assert down[0].exc_info is None  # a line, not a stack trace


def test_pushes_resume_and_say_so_when_the_channel_layer_answers_again(
    redis_down, settings, caplog, monkeypatch
):
    # Retry at once instead of after 5 seconds: the test does not wait.
    monkeypatch.setattr(live, "outage", Outage("Channel layer (live updates)", retry_after=0))
    live.push("user.1", {"type": "notification"})
    assert live.flush()
    assert live.outage.down
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

    with caplog.at_level(logging.WARNING):
        live.push("user.1", {"type": "notification"})

    assert not live.outage.down
    assert len(_warnings(caplog, "Channel layer (live updates) reachable again after")) == 1


@pytest.mark.django_db
def test_presence_reads_everybody_as_offline_and_never_raises(redis_down):
    presence_enter(7)
    presence_enter(7)
    presence_leave(7)

    assert is_online(7) is False
    assert online_among([7, 8]) == set()


@pytest.fixture
def worker_api(committed_db, api_client):
    """The commune worker's API client, a patient with consent; everything made is removed."""
    worker = User.objects.get(username="worker")
    started = timezone.now()
    patient = make_patient(worker, name="Lò Thị Gió")
    client = api_client(worker)
    yield client, patient
    Consultation.objects.filter(patient=patient).delete()
    patient.consents.all().delete()
    patient.delete()
    ApiToken.objects.filter(user=worker, name="test").delete()
    Notification.objects.filter(created_at__gte=started).delete()
    DBTaskResult.objects.filter(enqueued_at__gte=started).delete()


def test_consult_and_message_are_saved_with_2xx_and_offline_people_are_mailed_while_redis_is_down(
    redis_down, worker_api, mailoutbox, caplog
):
    client, patient = worker_api
    key = str(uuid.uuid4())

    with caplog.at_level(logging.WARNING):
        created = client.post(
            "/api/consults",
            {
                "patient": str(patient.public_id),
                "specialty": "internal-medicine",
                "urgency": "urgent",
                "reason": "Ho kéo dài",
                "question": "Có cần chụp phổi không?",
            },
            content_type="application/json",
            headers={"Idempotency-Key": key},
        )
        assert created.status_code == 201, created.content
        consult_id = created.json()["id"]
        message = client.post(
            f"/api/consults/{consult_id}/messages",
            {"body": "Bệnh nhân sốt lại tối qua."},
            content_type="application/json",
        )

    assert message.status_code == 201, message.content
    assert message.json()["body"] == "Bệnh nhân sốt lại tối qua."
    consult = Consultation.objects.get(public_id=consult_id, client_id=key)
    assert consult.messages.filter(body="Bệnh nhân sốt lại tối qua.").exists()
    # The hub's staff were told; with Redis down nobody counts as online, so every one of them
    # is to be mailed, and the mail task is queued.
    told = Notification.objects.filter(url=consult.get_absolute_url())
    assert told.exists()
    queued = DBTaskResult.objects.filter(task_path__endswith="notification_email_send")
    queued_ids = {i for t in queued for i in t.args_kwargs["args"][0]}
    assert set(told.values_list("id", flat=True)) <= queued_ids
    # Pushes failed quietly: one warning, no error logged for the requests.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    call_command("worker", batch=True, interval=0.1)

    mailed = {address for m in mailoutbox for address in m.to}
    expected = {n.user.email for n in told.select_related("user") if n.user.email}
    assert expected
    assert expected <= mailed
    assert not told.filter(emailed_at__isnull=True, user__email__gt="").exists()
