"""Sessions of more than four people run through a real Janus (``janus_server``, started by the
tests): the room is created with its secret kept on the server and admits only the invited
participants' tokens; a forged or expired signed token is refused by Janus itself; a removed
participant is kicked and cannot come back; the end of the session destroys the room; a call of
a few people stays a mesh and opens no room."""

import base64
import contextlib
import json
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import gettext, override

from caunoi.video import sfu
from caunoi.video.models import VideoParticipant
from caunoi.video.services import (
    video_participant_remove,
    video_session_end,
    video_session_schedule,
)
from caunoi.video.tests.conftest import colleagues
from caunoi.video.tests.janus_server import deliver, has_event

pytestmark = pytest.mark.django_db


def _admit(api_client, user, session, status=200):
    answer = api_client(user).post(f"/api/video-sessions/{session.public_id}/sfu")
    assert answer.status_code == status, answer.content
    return answer.json()


def _join(url: str, token: str, room: int, room_token: str, peer: int, stay=None) -> dict:
    """Join the room as a participant's browser would (a publisher, before sending media):
    Janus's first event on the handle. With ``stay`` (an ExitStack) the participant stays
    connected until it closes; otherwise they leave at once."""
    with contextlib.ExitStack() as own:
        client = (stay or own).enter_context(sfu.Janus(url=url, token=token))
        client._post(
            f"{client.url}/{client.session}/{client.handle}",
            {
                "janus": "message",
                "body": {
                    "request": "join",
                    "ptype": "publisher",
                    "room": room,
                    "id": peer,
                    "display": "test",
                    "token": room_token,
                },
            },
        )
        query = urllib.parse.urlencode({"maxev": 1, "token": token})
        with urllib.request.urlopen(f"{client.url}/{client.session}?{query}", timeout=10) as r:  # noqa: S310
            event = json.loads(r.read())
        return event["plugindata"]["data"]


def test_a_conference_runs_through_janus_for_its_invited_people_only(
    janus, conference, specialist, api_client, outsider
):
    tokens = _admit(api_client, specialist, conference)
    assert tokens["mode"] == "sfu"
    assert tokens["room"] == sfu.room_id(conference)
    assert tokens["room"] < 2**53  # exact in the browser's numbers
    # The room exists in Janus, private, and its secret never left the server.
    assert sfu.room_secret(conference) not in json.dumps(tokens)
    with sfu.Janus() as server:
        assert server.request({"request": "exists", "room": tokens["room"]})["exists"] is True
        listed = server.request({"request": "list"})["list"]
        assert tokens["room"] not in [r["room"] for r in listed]  # private: not listed
        # Destroying needs the room's secret.
        with pytest.raises(sfu.JanusError) as refused:
            server.request({"request": "destroy", "room": tokens["room"], "secret": "guess"})
        assert refused.value.code == 433
    stay = contextlib.ExitStack()
    joined = _join(
        tokens["url"],
        tokens["token"],
        tokens["room"],
        tokens["room_token"],
        tokens["peer_id"],
        stay,
    )
    assert joined["videoroom"] == "joined"
    assert joined["id"] == tokens["peer_id"]
    # A second participant is admitted too; the first one's tokens are theirs alone.
    guest = VideoParticipant.objects.filter(session=conference, is_host=False)[0].user
    theirs = _admit(api_client, guest, conference)
    assert theirs["room_token"] != tokens["room_token"]
    assert theirs["peer_id"] != tokens["peer_id"]
    assert (
        _join(
            theirs["url"],
            theirs["token"],
            theirs["room"],
            theirs["room_token"],
            theirs["peer_id"],
            stay,
        )["videoroom"]
        == "joined"
    )
    # Someone not invited gets nothing from the platform (404), and a made-up room token is
    # refused by the room.
    _admit(api_client, outsider, conference, status=404)
    refused_join = _join(tokens["url"], tokens["token"], tokens["room"], "made-up", 12345)
    assert refused_join["error_code"] == 433
    with stay:
        in_room = {p["id"] for p in sfu.room_participants(conference)}
        assert in_room == {tokens["peer_id"], theirs["peer_id"]}
        # Coming back (a reloaded page) while the old connection still holds the id: the old
        # one goes, the new one is in.
        again = _admit(api_client, guest, conference)
        assert again["peer_id"] == theirs["peer_id"]
        back = _join(
            again["url"], again["token"], again["room"], again["room_token"], again["peer_id"], stay
        )
        assert back["videoroom"] == "joined", back
        assert {p["id"] for p in sfu.room_participants(conference)} == in_room


def test_a_forged_or_expired_janus_token_is_refused_by_janus(
    janus, conference, specialist, api_client
):
    tokens = _admit(api_client, specialist, conference)
    expiry_and_scope, _signature = tokens["token"].split(":")
    for bad in (
        f"{expiry_and_scope}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # a signature not made with the secret
        sfu.signed_token(-5),  # expired five seconds ago
        "",
    ):
        with pytest.raises(sfu.JanusError) as refused:
            _join(tokens["url"], bad, tokens["room"], tokens["room_token"], tokens["peer_id"])
        assert refused.value.code == 403


def test_a_removed_participant_is_kicked_and_cannot_come_back(
    janus, conference, specialist, api_client, django_capture_on_commit_callbacks
):
    guest = VideoParticipant.objects.filter(session=conference, is_host=False)[0].user
    theirs = _admit(api_client, guest, conference)
    with sfu.Janus(url=theirs["url"], token=theirs["token"]) as browser:
        browser._post(
            f"{browser.url}/{browser.session}/{browser.handle}",
            {
                "janus": "message",
                "body": {
                    "request": "join",
                    "ptype": "publisher",
                    "room": theirs["room"],
                    "id": theirs["peer_id"],
                    "token": theirs["room_token"],
                },
            },
        )
        query = urllib.parse.urlencode({"maxev": 1, "token": theirs["token"]})
        poll = f"{browser.url}/{browser.session}?{query}"
        with urllib.request.urlopen(poll, timeout=10) as r:  # noqa: S310
            assert json.loads(r.read())["plugindata"]["data"]["videoroom"] == "joined"
        with django_capture_on_commit_callbacks(execute=True):
            assert video_participant_remove(session=conference, actor=specialist, user=guest)
        with urllib.request.urlopen(poll, timeout=10) as r:  # noqa: S310
            told = json.loads(r.read())["plugindata"]["data"]
        assert (told.get("leaving"), told.get("reason")) == ("ok", "kicked")
    assert theirs["peer_id"] not in {p["id"] for p in sfu.room_participants(conference)}
    # Their room token is off the list: joining again is refused, and the platform says 404.
    again = _join(
        theirs["url"], theirs["token"], theirs["room"], theirs["room_token"], theirs["peer_id"]
    )
    assert again["error_code"] == 433
    _admit(api_client, guest, conference, status=404)


def test_ending_the_session_destroys_the_room(
    janus, conference, specialist, api_client, django_capture_on_commit_callbacks
):
    tokens = _admit(api_client, specialist, conference)
    with django_capture_on_commit_callbacks(execute=True):
        video_session_end(
            session=conference, actor=specialist, conclusion="Thống nhất hướng xử trí."
        )
    with sfu.Janus() as server:
        assert server.request({"request": "exists", "room": tokens["room"]})["exists"] is False
    answer = api_client(specialist).post(f"/api/video-sessions/{conference.public_id}/sfu")
    assert answer.status_code == 422
    with override("vi"):
        assert answer.json()["errors"][0]["message"] == gettext("This session has ended.")


def test_a_call_of_a_few_people_stays_a_mesh(janus, specialist, worker, api_client):
    call = video_session_schedule(
        actor=specialist,
        title="Gọi nhanh",
        scheduled_at=timezone.now() + timedelta(minutes=1),
        participants=[worker],
    )
    assert _admit(api_client, worker, call) == {
        "mode": "mesh",
        "url": None,
        "room": None,
        "token": None,
        "room_token": None,
        "peer_id": None,
        "role": None,
    }
    with sfu.Janus() as server:
        assert server.request({"request": "exists", "room": sfu.room_id(call)})["exists"] is False


def test_without_janus_every_session_is_a_mesh(settings, conference, specialist, api_client):
    settings.JANUS_URL = ""
    assert _admit(api_client, specialist, conference)["mode"] == "mesh"


def test_janus_not_answering_is_a_clear_503(settings, conference, specialist, api_client):
    from caunoi.video.tests.janus_server import free_port

    settings.JANUS_URL = f"http://127.0.0.1:{free_port()}/janus"
    settings.JANUS_TOKEN_SECRET = "x"
    settings.JANUS_ADMIN_KEY = "y"
    answer = api_client(specialist).post(f"/api/video-sessions/{conference.public_id}/sfu")
    assert answer.status_code == 503
    assert "video" in answer.json()["message"].lower()


_deliver, _has = deliver, has_event


def test_joins_and_leaves_reach_the_session_record_from_janus_events(
    janus, conference, specialist, api_client, settings, client
):
    from caunoi.video.models import VideoJoin

    settings.JANUS_EVENTS_SECRET = janus.events_secret
    tokens = _admit(api_client, specialist, conference)
    janus.events.take()
    with contextlib.ExitStack() as stay:
        _join(
            tokens["url"],
            tokens["token"],
            tokens["room"],
            tokens["room_token"],
            tokens["peer_id"],
            stay,
        )
        joined = janus.wait_for_events(_has("joined"))
        _deliver(client, joined)
        _deliver(client, joined)  # Janus delivers again when unsure: one join all the same
        [row] = VideoJoin.objects.filter(session=conference)
        assert (row.user, row.channel_name, row.left_at) == (
            specialist,
            f"janus:{tokens['peer_id']}",
            None,
        )
        conference.refresh_from_db()
        assert conference.status == "live"
        assert conference.started_at == row.joined_at
    left = janus.wait_for_events(_has("leaving"))
    _deliver(client, left)
    row.refresh_from_db()
    assert row.left_at is not None
    assert row.left_at > row.joined_at
    # The session record says which join is which: this one is the media's, through Janus.
    from caunoi.video.services import video_session_end

    video_session_end(session=conference, actor=specialist, conclusion="Thống nhất điều trị.")
    client.force_login(specialist)
    page = client.get(conference.get_absolute_url(), headers={"Accept-Language": "vi"})
    joins = page.content.decode().split('id="joins"')[1].split("</table>")[0]
    assert "qua máy chủ video" in joins
    assert "trang phòng họp" not in joins  # no page joined in this test


def test_a_join_not_as_issued_is_kicked_on_its_event(
    janus, conference, specialist, api_client, settings, client
):
    from caunoi.video.models import VideoJoin

    settings.JANUS_EVENTS_SECRET = janus.events_secret
    tokens = _admit(api_client, specialist, conference)
    janus.events.take()
    with contextlib.ExitStack() as stay:
        # The right room token, another id than the one issued with it: someone who copied
        # a colleague's token, or a tampered page.
        _join(tokens["url"], tokens["token"], tokens["room"], tokens["room_token"], 4242, stay)
        assert 4242 in {p["id"] for p in sfu.room_participants(conference)}
        _deliver(client, janus.wait_for_events(_has("joined")))
        assert 4242 not in {p["id"] for p in sfu.room_participants(conference)}
    assert not VideoJoin.objects.filter(session=conference).exists()


def test_the_events_endpoint_takes_only_janus(janus, settings, client):
    from caunoi.video.models import VideoJoin

    url = "/video/janus/events/"
    settings.JANUS_EVENTS_SECRET = ""
    assert client.post(url, "[]", content_type="application/json").status_code == 404
    settings.JANUS_EVENTS_SECRET = janus.events_secret
    assert client.post(url, "[]", content_type="application/json").status_code == 401
    wrong = "Basic " + base64.b64encode(b"janus:guess").decode()
    answer = client.post(
        url, "[]", content_type="application/json", headers={"Authorization": wrong}
    )
    assert answer.status_code == 401
    right = "Basic " + base64.b64encode(f"janus:{janus.events_secret}".encode()).decode()
    for body in ("{not json", "[1, 2]", '"text"'):
        answer = client.post(
            url, body, content_type="application/json", headers={"Authorization": right}
        )
        assert answer.status_code == 400, body
    # Events of rooms that are not the platform's, or of other kinds, change nothing.
    stray = [
        {
            "type": 64,
            "event": {
                "plugin": "janus.plugin.videoroom",
                "data": {"event": "joined", "room": 1, "id": 2},
            },
        },
        {"type": 1, "event": {"name": "created"}},
    ]
    answer = client.post(
        url, json.dumps(stray), content_type="application/json", headers={"Authorization": right}
    )
    assert answer.json() == {"applied": 0}
    assert not VideoJoin.objects.exists()


def test_with_janus_a_conference_holds_twelve_sites_and_without_it_six(janus, specialist, settings):
    from django.core.exceptions import ValidationError

    people = colleagues(specialist, 12)
    assert len(people) == 12

    def schedule(n):
        return video_session_schedule(
            actor=specialist,
            title="Hội chẩn liên viện",
            scheduled_at=timezone.now() + timedelta(hours=1),
            participants=people[:n],
        )

    assert schedule(11).participants.count() == 12  # the host and eleven
    with pytest.raises(ValidationError, match="12"):
        schedule(12)
    settings.JANUS_URL = ""
    assert schedule(5).participants.count() == 6
    with pytest.raises(ValidationError, match="6"):
        schedule(6)


def test_opening_the_room_is_audited_once(janus, conference, specialist, api_client):
    from caunoi.audit.models import AuditEvent

    for _ in range(2):
        _admit(api_client, specialist, conference)
    opened = AuditEvent.objects.filter(
        object_id=str(conference.public_id), purpose="video room opened"
    )
    assert [e.detail["sfu_room"] for e in opened] == [sfu.room_id(conference)]
    conference.refresh_from_db()
    assert conference.sfu_room == sfu.room_id(conference)
