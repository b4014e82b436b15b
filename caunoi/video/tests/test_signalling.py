"""The signalling consumer with Channels' WebsocketCommunicator on the configured channel layer
(Redis in CI). Committed rows (the consumer works from its own threads), removed afterwards."""

import json
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing.websocket import WebsocketCommunicator
from django.urls import path
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caunoi.accounts.models import User
from caunoi.core.tests.aio import run_async
from caunoi.video.consumers import VideoRoomConsumer
from caunoi.video.models import VideoJoin, VideoSession
from caunoi.video.services import (
    video_participant_remove,
    video_session_end,
    video_session_schedule,
)

application = URLRouter([path("ws/video/<uuid:session_id>/", VideoRoomConsumer.as_asgi())])


def _socket(user, session_id, language="en"):
    communicator = WebsocketCommunicator(application, f"/ws/video/{session_id}/")
    communicator.scope["user"] = user
    communicator.scope["cookies"] = {"django_language": language}
    return communicator


async def _get(communicator):
    return json.loads(await communicator.receive_from(timeout=5))


@pytest.fixture
def people(committed_db):
    return {
        name: User.objects.get(username=name)
        for name in ("worker", "specialist", "coordinator", "receiver")
    }


@pytest.fixture
def room(people):
    """A conference of the specialist (host) with the worker and the coordinator."""
    s = video_session_schedule(
        actor=people["specialist"],
        title="Thử tín hiệu",
        scheduled_at=timezone.now(),
        participants=[people["worker"], people["coordinator"]],
    )
    yield s
    VideoSession.objects.filter(pk=s.pk).delete()


def test_peers_meet_and_signals_reach_only_the_addressee(people, room):
    async def run():
        a = _socket(people["specialist"], room.public_id)
        assert (await a.connect())[0]
        welcome_a = await _get(a)
        assert welcome_a["type"] == "welcome"
        assert welcome_a["peers"] == []
        b = _socket(people["worker"], room.public_id)
        assert (await b.connect())[0]
        welcome_b = await _get(b)
        assert [p["peer"] for p in welcome_b["peers"]] == [welcome_a["you"]]
        joined = await _get(a)
        assert joined == {
            "type": "peer-joined",
            "peer": welcome_b["you"],
            "name": people["worker"].full_name,
            "user": str(people["worker"].pk),
        }
        c = _socket(people["coordinator"], room.public_id)
        assert (await c.connect())[0]
        await _get(c)
        await _get(a)
        await _get(b)  # both hear that the coordinator joined

        offer = {
            "type": "signal",
            "to": welcome_a["you"],
            "data": {"sdp": {"type": "offer", "sdp": "v=0"}},
        }
        await b.send_to(text_data=json.dumps(offer))
        got = await _get(a)
        assert got == {
            "type": "signal",
            "from": welcome_b["you"],
            "data": {"sdp": {"type": "offer", "sdp": "v=0"}},
        }
        assert await c.receive_nothing(timeout=0.3)  # the third peer hears nothing of it

        for sock in (a, b, c):
            await sock.disconnect()

    run_async(run)
    joins = VideoJoin.objects.filter(session=room)
    assert joins.count() == 3
    assert all(j.left_at is not None for j in joins)
    room.refresh_from_db()
    assert room.status == "live"
    assert room.started_at is not None


OFFER = {"sdp": {"type": "offer", "sdp": "v=0"}}
CANDIDATE = {"candidate": {"candidate": "candidate:1 1 udp 1 10.0.0.1 9 typ host", "sdpMid": "0"}}

BAD_INPUT = [
    ("{not json", "bad_json", "The message is not valid JSON."),
    ('{"type": "ping", "n": Infinity}', "bad_json", "The message is not valid JSON."),
    ("[" * 2000 + "]" * 2000, "bad_json", "The message is not valid JSON."),
    (json.dumps([1, 2]), "bad_message", "The message must be a JSON object."),
    (
        "x" * (64 * 1024 + 1),
        "too_large",
        "The message is too long: at most 65536 characters.",
    ),
    (
        json.dumps({"type": "signal", "to": str(uuid.uuid4()), "data": OFFER}),
        "no_such_peer",
        "That participant is not in this room.",
    ),
    (
        json.dumps({"type": "signal", "to": "x", "data": OFFER}),
        "bad_signal",
        "Field to: Enter a valid id (UUID).",
    ),
    (
        json.dumps({"type": "signal", "to": str(uuid.uuid4()), "data": "not an object"}),
        "bad_signal",
        None,
    ),
    (
        json.dumps({"type": "signal", "to": str(uuid.uuid4()), "data": {"sdp": {}}}),
        "bad_signal",
        "Field data.sdp.type: This field is required.",
    ),
    (
        json.dumps({"type": "signal", "to": str(uuid.uuid4()), "data": {}}),
        "bad_signal",
        "A signal carries either an sdp or a candidate.",
    ),
    (
        json.dumps({"type": "signal", "to": str(uuid.uuid4()), "data": {**OFFER, **CANDIDATE}}),
        "bad_signal",
        "A signal carries either an sdp or a candidate.",
    ),
    (json.dumps({"type": "quality", "rtt": "fast"}), "bad_quality", None),
    (json.dumps({"type": "quality", "rtt": 10, "loss": 500, "kbps": 1}), "bad_quality", None),
    (json.dumps({"type": "quality", "mode": "x" * 100}), "bad_quality", None),
    (json.dumps({"type": "chat", "text": ""}), "bad_chat", None),
    (json.dumps({"type": "chat", "text": "   "}), "bad_chat", None),
    (json.dumps({"type": "chat", "text": {"html": "<b>"}}), "bad_chat", None),
    (json.dumps({"type": "launch"}), "unknown", "Unknown kind of message."),
    (json.dumps({"type": ["signal"]}), "unknown", "Unknown kind of message."),
    # No database can store a NUL: refused before the chat reaches the consultation's thread.
    (json.dumps({"type": "chat", "text": "sốt\u0000cao"}), "bad_message", None),
    (json.dumps({"type": "chat", "text": "x", "\u0000": 1}), "bad_message", None),
]


def test_bad_input_is_answered_and_the_socket_stays_usable(people, room):
    async def run():
        a = _socket(people["specialist"], room.public_id)
        await a.connect()
        await _get(a)
        for raw, code, message in BAD_INPUT:
            await a.send_to(text_data=raw)
            error = await _get(a)
            assert (error["type"], error["code"]) == ("error", code), raw[:80]
            assert error["message"], raw[:80]
            if message is not None:
                assert error["message"] == message
        await a.send_to(bytes_data=b"\x00")
        assert (await _get(a))["code"] == "not_text"
        await a.send_to(text_data=json.dumps({"type": "ping"}))
        assert await _get(a) == {"type": "pong"}
        await a.disconnect()

    run_async(run)


def test_a_signal_to_a_malformed_peer_id_is_refused_and_the_call_goes_on(people, room):
    # "x" used to reach a UUID lookup in the database, whose error closed the socket.
    async def run():
        a = _socket(people["specialist"], room.public_id)
        await a.connect()
        you_a = (await _get(a))["you"]
        b = _socket(people["worker"], room.public_id)
        await b.connect()
        you_b = (await _get(b))["you"]
        await _get(a)  # b joined
        for to in ("x", f"{{{you_a}}}", you_a.replace("-", "")):
            await b.send_to(text_data=json.dumps({"type": "signal", "to": to, "data": OFFER}))
            assert (await _get(b))["code"] == "bad_signal"
        assert await a.receive_nothing(timeout=0.3)
        await b.send_to(text_data=json.dumps({"type": "signal", "to": you_a, "data": OFFER}))
        assert await _get(a) == {"type": "signal", "from": you_b, "data": OFFER}
        for sock in (a, b):
            await sock.disconnect()

    run_async(run)


def test_fields_a_browser_adds_to_a_candidate_are_dropped_not_relayed(people, room):
    async def run():
        a = _socket(people["specialist"], room.public_id)
        await a.connect()
        you_a = (await _get(a))["you"]
        b = _socket(people["worker"], room.public_id)
        await b.connect()
        await _get(b)
        await _get(a)
        candidate = {"candidate": {**CANDIDATE["candidate"], "sdpMLineIndex": 0, "new": [1] * 9}}
        await b.send_to(text_data=json.dumps({"type": "signal", "to": you_a, "data": candidate}))
        relayed = await _get(a)
        assert relayed["data"] == {
            "candidate": {**CANDIDATE["candidate"], "sdpMLineIndex": 0},
        }
        for sock in (a, b):
            await sock.disconnect()

    run_async(run)


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
        {"type": st.sampled_from(["signal", "chat", "quality", "ping", "Signal"])},
        optional={
            "to": _json | st.uuids().map(str),
            "data": _json | st.fixed_dictionaries({}, optional={"sdp": _json, "candidate": _json}),
            "text": _json,
            "rtt": _json,
            "mode": _json,
        },
    ).map(json.dumps),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frames=st.lists(_frames, min_size=1, max_size=12))
def test_no_frame_whatever_closes_the_signalling_socket(people, room, frames):
    async def run():
        a = _socket(people["specialist"], room.public_id)
        assert (await a.connect())[0]
        await _get(a)
        for frame in frames:
            await a.send_to(text_data=frame)
            answer = await _get(a)
            # A valid chat or quality sample comes back as the room's broadcast.
            assert answer["type"] in ("error", "chat", "quality", "pong"), answer
            if answer["type"] == "error":
                assert isinstance(answer["code"], str)
                assert isinstance(answer["message"], str)
                assert answer["message"]
        await a.send_to(text_data=json.dumps({"type": "ping"}))
        assert await _get(a) == {"type": "pong"}
        await a.disconnect()

    run_async(run)


def test_a_signal_to_a_peer_of_another_room_is_not_relayed(people, room):
    other = video_session_schedule(
        actor=people["specialist"],
        title="Phòng khác",
        scheduled_at=timezone.now(),
        participants=[people["worker"]],
    )

    async def run():
        outside = _socket(people["worker"], other.public_id)
        await outside.connect()
        outside_peer = (await _get(outside))["you"]
        inside = _socket(people["specialist"], room.public_id)
        await inside.connect()
        await _get(inside)
        await inside.send_to(
            text_data=json.dumps({"type": "signal", "to": outside_peer, "data": CANDIDATE})
        )
        assert await _get(inside) == {
            "type": "error",
            "code": "no_such_peer",
            "message": "That participant is not in this room.",
        }
        assert await outside.receive_nothing(timeout=0.3)
        await inside.disconnect()
        await outside.disconnect()

    try:
        run_async(run)
    finally:
        VideoSession.objects.filter(pk=other.pk).delete()


def test_uninvited_anonymous_and_unknown_rooms_are_refused_with_clear_codes(people, room):
    from django.contrib.auth.models import AnonymousUser

    async def run():
        for user, session_id, code in [
            (people["receiver"], room.public_id, 4404),
            (AnonymousUser(), room.public_id, 4401),
            (people["worker"], uuid.uuid4(), 4404),
        ]:
            connected, close_code = await _socket(user, session_id).connect()
            assert connected is False
            assert close_code == code

    run_async(run)
    assert not VideoJoin.objects.filter(session=room, user=people["receiver"]).exists()


def test_a_removed_participant_is_disconnected_and_cannot_come_back(people, room):
    async def run():
        b = _socket(people["worker"], room.public_id)
        await b.connect()
        await _get(b)
        await database_sync_to_async(video_participant_remove)(
            session=room, actor=people["specialist"], user=people["worker"]
        )
        assert await _get(b) == {"type": "removed"}
        output = await b.receive_output(timeout=5)
        assert output == {"type": "websocket.close", "code": 4403}
        connected, code = await _socket(people["worker"], room.public_id).connect()
        assert connected is False
        assert code == 4404

    run_async(run)


def test_an_ended_session_disconnects_everyone_and_refuses_new_joins(people, room):
    async def run():
        a = _socket(people["coordinator"], room.public_id)
        await a.connect()
        await _get(a)
        await database_sync_to_async(video_session_end)(
            session=room, actor=people["specialist"], conclusion="Xong"
        )
        assert await _get(a) == {"type": "ended"}
        assert await a.receive_output(timeout=5) == {"type": "websocket.close", "code": 4410}
        connected, code = await _socket(people["worker"], room.public_id).connect()
        assert connected is False
        assert code == 4404

    run_async(run)
    room.refresh_from_db()
    assert room.status == "ended"
    assert room.conclusion == "Xong"
    assert not VideoJoin.objects.filter(session=room, left_at__isnull=True).exists()


def test_quality_samples_make_the_session_record(people, room):
    async def run():
        a = _socket(people["specialist"], room.public_id)
        await a.connect()
        await _get(a)
        b = _socket(people["worker"], room.public_id)
        await b.connect()
        await _get(b)
        await _get(a)
        for rtt, loss in ((100, 0), (300, 10)):
            await a.send_to(
                text_data=json.dumps(
                    {"type": "quality", "rtt": rtt, "loss": loss, "kbps": 200, "mode": "weak"}
                )
            )
        levels = [(await _get(b))["level"], (await _get(b))["level"]]
        assert levels == ["good", "poor"]
        await a.disconnect()
        await b.disconnect()

    run_async(run)
    join = VideoJoin.objects.get(session=room, user=people["specialist"])
    assert join.quality_summary() == {
        "samples": 2,
        "rtt_ms": 200,
        "loss_pct": 5.0,
        "kbps": 200,
        "worst_rtt_ms": 300,
        "weak_mode": "weak",
    }


def test_a_second_connection_of_the_same_person_closes_the_first_one_for_the_others(people, room):
    async def run():
        a = _socket(people["specialist"], room.public_id)
        await a.connect()
        await _get(a)
        first = _socket(people["worker"], room.public_id)
        await first.connect()
        ghost = (await _get(first))["you"]
        await _get(a)
        # The first tab crashed without saying goodbye; the worker comes back.
        again = _socket(people["worker"], room.public_id)
        await again.connect()
        welcome = await _get(again)
        assert ghost not in [p["peer"] for p in welcome["peers"]]
        assert await _get(a) == {"type": "peer-left", "peer": ghost}
        assert (await _get(a))["type"] == "peer-joined"
        for sock in (a, first, again):
            await sock.disconnect()

    run_async(run)


@pytest.fixture
def lecture(people, settings):
    """A teaching session of the specialist, the worker and the coordinator watching (the SFU
    configured, though nothing here talks to it)."""
    from caunoi.video.services import video_teaching_schedule

    settings.JANUS_URL = "http://127.0.0.1:9/janus"
    s = video_teaching_schedule(
        actor=people["specialist"],
        title="Bài giảng",
        scheduled_at=timezone.now(),
        duration_minutes=60,
        viewers=[people["worker"], people["coordinator"]],
    )
    yield s
    VideoSession.objects.filter(pk=s.pk).delete()


async def _next(communicator, kind):
    while True:
        message = await _get(communicator)
        if message["type"] == kind:
            return message


def test_in_a_teaching_session_hands_the_floor_and_questions_reach_the_room(people, lecture):
    from caunoi.video.models import VideoMessage, VideoParticipant

    async def run():
        host = _socket(people["specialist"], lecture.public_id)
        viewer = _socket(people["worker"], lecture.public_id)
        other = _socket(people["coordinator"], lecture.public_id)
        for sock in (host, viewer, other):
            assert (await sock.connect())[0]
            assert (await _next(sock, "hands"))["hands"] == []  # told on joining
        await viewer.send_to(text_data=json.dumps({"type": "hand", "up": True}))
        hands = await _next(host, "hands")
        assert hands["hands"] == [{"user": str(people["worker"].pk), "name": "Sùng Thị Mai"}]
        # A viewer does not give the floor; the host does, and the room hears it.
        grab = {"type": "speaker", "user": people["coordinator"].pk, "speaker": True}
        await other.send_to(text_data=json.dumps(grab))
        refused = await _next(other, "error")
        assert refused["code"] == "refused"
        give = {"type": "speaker", "user": people["worker"].pk, "speaker": True}
        await host.send_to(text_data=json.dumps(give))
        role = await _next(viewer, "role")
        assert role == {"type": "role", "user": str(people["worker"].pk), "role": "speaker"}
        hands = await _next(other, "hands")
        assert hands["hands"] == []
        assert [s["name"] for s in hands["speakers"]] == ["Trần Văn Phúc", "Sùng Thị Mai"]
        # A question reaches everyone with its number; the host marks it answered.
        await other.send_to(text_data=json.dumps({"type": "question", "text": "Liều dùng?"}))
        asked = await _next(host, "question")
        assert (asked["from"], asked["text"]) == ("Lê Thị Hồng Nhung", "Liều dùng?")
        await host.send_to(text_data=json.dumps({"type": "answered", "id": asked["id"]}))
        assert await _next(other, "answered") == {"type": "answered", "id": asked["id"]}
        # Bad frames are answered and change nothing.
        await viewer.send_to(text_data=json.dumps({"type": "hand", "up": "yes"}))
        assert (await _next(viewer, "error"))["code"] == "bad_hand"
        await viewer.send_to(text_data=json.dumps({"type": "answered", "id": asked["id"]}))
        assert (await _next(viewer, "error"))["code"] == "refused"
        for sock in (host, viewer, other):
            await sock.disconnect()

    run_async(run)
    worker = VideoParticipant.objects.get(session=lecture, user=people["worker"])
    assert (worker.role, worker.hand_raised_at) == ("speaker", None)
    [question] = VideoMessage.objects.filter(session=lecture)
    assert (question.kind, question.text) == ("question", "Liều dùng?")
    assert question.answered_at is not None


def test_hands_are_for_teaching_sessions_only(people, room):
    async def run():
        sock = _socket(people["worker"], room.public_id)
        assert (await sock.connect())[0]
        await sock.send_to(text_data=json.dumps({"type": "hand", "up": True}))
        error = await _next(sock, "error")
        assert error["code"] == "refused"
        assert "teaching" in error["message"]
        await sock.disconnect()

    run_async(run)


def test_recording_frames_are_checked_and_follow_the_rules(people, room):
    async def run():
        host = _socket(people["specialist"], room.public_id)
        guest = _socket(people["worker"], room.public_id)
        for sock in (host, guest):
            assert (await sock.connect())[0]
        await guest.send_to(text_data=json.dumps({"type": "record", "on": True}))
        refused = await _next(guest, "error")
        assert (refused["code"], refused["message"]) == (
            "refused",
            "Only the host records the session.",
        )
        await host.send_to(text_data=json.dumps({"type": "record", "on": True}))
        refused = await _next(host, "error")
        assert "video server" in refused["message"]  # no Janus here: no recording
        bad = {"type": "consent", "recording": "not-a-uuid", "agree": True}
        await guest.send_to(text_data=json.dumps(bad))
        assert (await _next(guest, "error"))["code"] == "bad_consent"
        unknown = {"type": "consent", "recording": str(uuid.uuid4()), "agree": True}
        await guest.send_to(text_data=json.dumps(unknown))
        assert (await _next(guest, "error"))["code"] == "refused"
        for sock in (host, guest):
            await sock.disconnect()

    run_async(run)
    from caunoi.video.models import VideoRecording

    assert not VideoRecording.objects.filter(session=room).exists()


def test_the_host_of_a_teaching_session_sees_the_viewers_links_counted(people, lecture):
    async def run():
        host = _socket(people["specialist"], lecture.public_id)
        weak = _socket(people["worker"], lecture.public_id)
        fine = _socket(people["coordinator"], lecture.public_id)
        for sock in (host, weak, fine):
            assert (await sock.connect())[0]
        quality = {"type": "quality", "rtt": 900, "loss": 15, "kbps": 40, "mode": "audio"}
        await weak.send_to(text_data=json.dumps(quality))
        await fine.send_to(text_data=json.dumps({**quality, "rtt": 80, "loss": 0, "kbps": 300}))
        await weak.send_to(text_data=json.dumps({"type": "ping"}))
        await _next(weak, "pong")  # the samples above are saved
        await fine.send_to(text_data=json.dumps({"type": "ping"}))
        await _next(fine, "pong")
        await host.send_to(text_data=json.dumps({"type": "links"}))
        links = await _next(host, "viewers")
        assert links == {"type": "viewers", "good": 1, "fair": 0, "poor": 1, "unknown": 0}
        await weak.send_to(text_data=json.dumps({"type": "links"}))  # only the host sees them
        assert (await _next(weak, "error"))["code"] == "refused"
        await host.send_to(text_data=json.dumps({**quality, "rtt": 50, "loss": 0}))
        # The viewers' samples are not broadcast to the room (three hundred of them would be).
        assert await _next(weak, "quality") == {
            "type": "quality",
            "peer": (await database_sync_to_async(_peer_of)(people["specialist"], lecture)),
            "level": "good",
            "mode": "audio",
        }
        for sock in (host, weak, fine):
            await sock.disconnect()

    run_async(run)


def _peer_of(user, session):
    return str(VideoJoin.objects.get(session=session, user=user, left_at__isnull=True).peer_id)
