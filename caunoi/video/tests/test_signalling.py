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


def _socket(user, session_id):
    communicator = WebsocketCommunicator(application, f"/ws/video/{session_id}/")
    communicator.scope["user"] = user
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


def test_bad_input_is_answered_and_the_socket_stays_usable(people, room):
    async def run():
        a = _socket(people["specialist"], room.public_id)
        await a.connect()
        await _get(a)
        for raw, code in [
            ("{not json", "bad_json"),
            (json.dumps([1, 2]), "bad_message"),
            ("x" * (64 * 1024 + 1), "too_large"),
            (
                json.dumps({"type": "signal", "to": str(uuid.uuid4()), "data": {"sdp": {}}}),
                "no_such_peer",
            ),
            (json.dumps({"type": "signal", "to": "x", "data": "not an object"}), "bad_signal"),
            (json.dumps({"type": "quality", "rtt": "fast"}), "bad_quality"),
            (json.dumps({"type": "quality", "rtt": 10, "loss": 500, "kbps": 1}), "bad_quality"),
            (json.dumps({"type": "chat", "text": ""}), "bad_chat"),
            (json.dumps({"type": "launch"}), "unknown"),
        ]:
            await a.send_to(text_data=raw)
            assert (await _get(a)) == {"type": "error", "code": code}
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
            text_data=json.dumps({"type": "signal", "to": outside_peer, "data": {"candidate": {}}})
        )
        assert await _get(inside) == {"type": "error", "code": "no_such_peer"}
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
