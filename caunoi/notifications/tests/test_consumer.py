"""The live websocket, tested with Channels' WebsocketCommunicator on the configured channel
layer (Redis in CI). Rows are committed (the consumer reads from its own thread) and removed."""

import json
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.db import transaction

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, make_patient, summary
from caunoi.core.tests.aio import run_async
from caunoi.notifications.consumers import LiveConsumer
from caunoi.notifications.models import Notification
from caunoi.notifications.presence import is_online
from caunoi.notifications.services import notify


def _communicator(user):
    communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
    communicator.scope["user"] = user
    return communicator


async def _receive(communicator):
    return json.loads(await communicator.receive_from(timeout=5))


@pytest.fixture
def consult(committed_db):
    worker = User.objects.get(username="worker")
    patient = make_patient(worker, name="Sóng Thử Nghiệm")
    c, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(patient=patient, specialty=internal_medicine(), summary=summary()),
    )
    yield c
    Consultation.objects.filter(pk=c.pk).delete()
    patient.consents.all().delete()
    patient.delete()
    Notification.objects.filter(title__startswith="Thử").delete()


def test_anonymous_socket_is_closed_with_4401(committed_db):
    from django.contrib.auth.models import AnonymousUser

    async def run():
        communicator = _communicator(AnonymousUser())
        connected, code = await communicator.connect()
        assert connected is False
        assert code == 4401

    run_async(run)


def test_subscriptions_follow_access_and_bad_input_keeps_the_socket(consult):
    specialist = User.objects.get(username="specialist")
    receiver = User.objects.get(username="receiver")

    async def run():
        ok = _communicator(specialist)
        assert (await ok.connect())[0]
        await ok.send_to(
            text_data=json.dumps({"subscribe": "consult", "id": str(consult.public_id)})
        )
        assert await _receive(ok) == {"type": "subscribed", "consult": str(consult.public_id)}
        await ok.send_to(text_data="{not json")
        assert (await _receive(ok))["code"] == "bad_json"
        await ok.send_to(text_data="x" * 5000)
        assert (await _receive(ok))["code"] == "too_large"
        await ok.send_to(text_data=json.dumps(["a"]))
        assert (await _receive(ok))["code"] == "bad_message"
        await ok.send_to(text_data=json.dumps({"type": "ping"}))
        assert await _receive(ok) == {"type": "pong"}
        await ok.disconnect()

        outsider = _communicator(receiver)
        assert (await outsider.connect())[0]
        await outsider.send_to(
            text_data=json.dumps({"subscribe": "consult", "id": str(consult.public_id)})
        )
        assert (await _receive(outsider))["code"] == "not_found"
        await outsider.send_to(text_data=json.dumps({"subscribe": "consult", "id": "not-a-uuid"}))
        assert (await _receive(outsider))["code"] == "not_found"
        await outsider.disconnect()

    run_async(run)


def test_a_notification_reaches_the_open_page_and_marks_presence(consult):
    coordinator = User.objects.get(username="coordinator")

    def send():
        with transaction.atomic():
            notify(
                users=[coordinator], kind="test", message=lambda: ("Thử thông báo", ""), url="/x/"
            )

    async def run():
        communicator = _communicator(coordinator)
        assert (await communicator.connect())[0]
        assert await database_sync_to_async(is_online)(coordinator.pk)
        await database_sync_to_async(send)()
        message = await _receive(communicator)
        assert message["type"] == "notification"
        assert message["title"] == "Thử thông báo"
        assert message["unread"] >= 1
        await communicator.disconnect()

    run_async(run)
    assert not is_online(coordinator.pk)


def test_consult_updates_reach_subscribers(consult):
    from caunoi.consults.services import consultation_claim

    specialist = User.objects.get(username="specialist")

    def claim():
        consultation_claim(consultation=Consultation.objects.get(pk=consult.pk), actor=specialist)

    async def run():
        communicator = _communicator(specialist)
        await communicator.connect()
        await communicator.send_to(
            text_data=json.dumps({"subscribe": "consult", "id": str(consult.public_id)})
        )
        await _receive(communicator)
        await database_sync_to_async(claim)()
        assert await _receive(communicator) == {
            "type": "consult",
            "id": str(consult.public_id),
            "event": "assigned",
        }
        await communicator.disconnect()

    run_async(run)
