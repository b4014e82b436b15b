"""The live websocket, tested with Channels' WebsocketCommunicator on the configured channel
layer (Redis in CI). Rows are committed (the consumer reads from its own thread) and removed."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.core.tests.aio import run_async
from caunoi.notifications import live
from caunoi.notifications.consumers import LiveConsumer
from caunoi.notifications.models import Notification
from caunoi.notifications.presence import is_online
from caunoi.notifications.services import notify
from caunoi.patients.tests.factories import make_patient


def _communicator(user, language=None):
    communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
    communicator.scope["user"] = user
    if language:
        communicator.scope["cookies"] = {"django_language": language}
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
    # The submission's pushes leave from the push loop: let them go before a test's socket
    # joins a group, or it would receive them first.
    assert live.flush()
    yield c
    Notification.objects.filter(url=c.get_absolute_url()).delete()
    Consultation.objects.filter(pk=c.pk).delete()
    patient.consents.all().delete()
    patient.delete()


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
        assert (await _receive(outsider))["code"] == "bad_message"
        await outsider.disconnect()

    run_async(run)


def test_a_notification_reaches_the_open_pages_each_in_its_language_and_marks_presence(consult):
    coordinator = User.objects.get(username="coordinator")
    when = datetime(2026, 9, 14, 2, 30, tzinfo=UTC)  # 09:30 in Vietnam

    def send():
        with transaction.atomic():
            notify(
                users=[coordinator],
                message="video.invited",
                params={"when": when, "host": "Thử Người Mời"},
                url="/x/",
            )

    async def run():
        vietnamese = _communicator(coordinator, "vi")
        english = _communicator(coordinator, "en")
        assert (await vietnamese.connect())[0]
        assert (await english.connect())[0]
        assert await database_sync_to_async(is_online)(coordinator.pk)
        await database_sync_to_async(send)()
        shown = {"vi": await _receive(vietnamese), "en": await _receive(english)}
        assert shown["vi"]["title"] == "Hội chẩn trực tuyến qua video lúc 14/09/2026 09:30"
        assert shown["en"]["title"] == "Video consultation at 14/09/2026 09:30"
        for message in shown.values():
            assert message["type"] == "notification"
            assert message["url"] == "/x/"
            assert message["unread"] >= 1
            assert "params" not in message
            assert "message" not in message
        await vietnamese.disconnect()
        await english.disconnect()

    try:
        run_async(run)
    finally:
        Notification.objects.filter(user=coordinator, url="/x/").delete()
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


def _claim(consult, specialist):
    from caunoi.consults.services import consultation_claim

    consultation_claim(consultation=Consultation.objects.get(pk=consult.pk), actor=specialist)


def test_a_braced_consult_id_gets_an_error_frame_and_the_socket_keeps_working(consult):
    # The frame of issue 10: Python reads "{…}" as a UUID, and the group name it made crashed
    # the connection.
    specialist = User.objects.get(username="specialist")

    async def run():
        communicator = _communicator(specialist, language="en")
        assert (await communicator.connect())[0]
        await communicator.send_to(
            text_data=json.dumps({"subscribe": "consult", "id": f"{{{consult.public_id}}}"})
        )
        assert await _receive(communicator) == {
            "type": "error",
            "code": "bad_message",
            "message": "Field id: Enter a valid id (UUID).",
        }
        await communicator.send_to(
            text_data=json.dumps({"subscribe": "consult", "id": str(consult.public_id)})
        )
        assert await _receive(communicator) == {
            "type": "subscribed",
            "consult": str(consult.public_id),
        }
        await database_sync_to_async(_claim)(consult, specialist)
        assert (await _receive(communicator))["event"] == "assigned"
        await communicator.disconnect()

    run_async(run)


JUNK = [
    ("bytes", None, "not_text"),
    ("oversized", "[" + "1," * 3000 + "1]", "too_large"),
    ("not json", "{'subscribe': 'queues'}", "bad_json"),
    ("NaN", '{"type": "ping", "n": NaN}', "bad_json"),
    ("deeply nested", "[" * 2000 + "]" * 2000, "bad_json"),
    ("a string", json.dumps("ping"), "bad_message"),
    ("null", "null", "bad_message"),
    ("unknown subscription", json.dumps({"subscribe": "everything"}), "unknown"),
    ("list as kind", json.dumps({"subscribe": ["consult"], "id": "x"}), "unknown"),
    ("no kind", json.dumps({"id": str(uuid.uuid4())}), "unknown"),
    ("id missing", json.dumps({"subscribe": "consult"}), "bad_message"),
    ("id a number", json.dumps({"subscribe": "consult", "id": 12345}), "bad_message"),
    (
        "id a urn",
        json.dumps({"subscribe": "consult", "id": f"urn:uuid:{uuid.uuid4()}"}),
        "bad_message",
    ),
    (
        "id without dashes",
        json.dumps({"subscribe": "consult", "id": uuid.uuid4().hex}),
        "bad_message",
    ),
    ("unknown field", json.dumps({"type": "ping", "please": True}), "bad_message"),
]


@pytest.mark.parametrize(("raw", "code"), [j[1:] for j in JUNK], ids=[j[0] for j in JUNK])
def test_every_malformed_frame_gets_a_translated_error_and_the_socket_stays(
    committed_db, raw, code
):
    worker = User.objects.get(username="worker")

    async def run():
        communicator = _communicator(worker)
        assert (await communicator.connect())[0]
        if raw is None:
            await communicator.send_to(bytes_data=b"\x00\x01")
        else:
            await communicator.send_to(text_data=raw)
        error = await _receive(communicator)
        assert error["type"] == "error"
        assert error["code"] == code
        assert error["message"]
        await communicator.send_to(text_data=json.dumps({"type": "ping"}))
        assert await _receive(communicator) == {"type": "pong"}
        await communicator.disconnect()

    run_async(run)


def test_errors_are_answered_in_the_browsers_language_else_the_persons():
    from types import SimpleNamespace

    from caunoi.core.websocket import socket_language

    person = SimpleNamespace(language="en")
    assert socket_language({"cookies": {"django_language": "vi"}, "user": person}) == "vi"
    assert socket_language({"cookies": {"django_language": "fr"}, "user": person}) == "en"
    assert socket_language({"cookies": {}, "user": person}) == "en"
    assert socket_language({"user": SimpleNamespace(language="xx")}) == "vi"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
_frames = st.one_of(
    st.text(min_size=1, max_size=80),
    _json.map(json.dumps),
    st.fixed_dictionaries(
        {"subscribe": st.sampled_from(["consult", "queues", "Consult", ""])},
        optional={"id": _json | st.uuids().map(str), "type": _json},
    ).map(json.dumps),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["ping", "pong", "signal"])}, optional={"x": _json}
    ).map(json.dumps),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frames=st.lists(_frames, min_size=1, max_size=12))
def test_no_frame_whatever_closes_the_live_socket(committed_db, frames):
    worker = User.objects.get(username="worker")

    async def run():
        communicator = _communicator(worker)
        assert (await communicator.connect())[0]
        for frame in frames:
            await communicator.send_to(text_data=frame)
            answer = await _receive(communicator)
            assert answer["type"] in ("error", "subscribed", "pong"), answer
            if answer["type"] == "error":
                assert isinstance(answer["code"], str)
                assert isinstance(answer["message"], str)
                assert answer["message"]
        await communicator.send_to(text_data=json.dumps({"type": "ping"}))
        assert await _receive(communicator) == {"type": "pong"}
        await communicator.disconnect()

    run_async(run)
