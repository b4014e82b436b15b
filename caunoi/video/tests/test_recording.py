"""Recording a session with consent, through a real Janus: nothing is recorded until everyone
present agreed (one refusal and nothing is); a latecomer is asked while the question is open
and told once it runs; Janus's streams become one WebM per speaker, whose duration and codecs
are read back from the file; the session's own people play it (audited), an outsider gets
404; the retention period deletes it."""

import contextlib
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from caunoi.audit.models import AuditEvent
from caunoi.video import recordings, sfu
from caunoi.video.models import (
    RecordingConsent,
    RecordingFile,
    RecordingStatus,
    VideoJoin,
    VideoParticipant,
)
from caunoi.video.services import video_sfu_admit
from caunoi.video.tests import janus_peer

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(janus, settings, tmp_path):
    """Janus writes into a folder of this test; the platform keeps files in another."""
    folder = tmp_path / "janus"
    folder.mkdir()
    settings.JANUS_RECORDINGS_DIR = str(folder)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return folder


def _present(session, *users):
    for user in users:
        VideoJoin.objects.create(session=session, user=user, channel_name="test")


def _answers(recording):
    return dict(
        RecordingConsent.objects.filter(recording=recording).values_list("user__username", "answer")
    )


def test_one_refusal_and_nothing_is_recorded(recorded, conference, specialist):
    guests = [p.user for p in conference.participants.filter(is_host=False).order_by("pk")]
    video_sfu_admit(session=conference, user=specialist)
    conference.refresh_from_db()
    _present(conference, specialist, guests[0])
    with pytest.raises(PermissionDenied):
        recordings.recording_request(session=conference, actor=guests[0])
    r = recordings.recording_request(session=conference, actor=specialist)
    assert r.status == RecordingStatus.ASKING
    assert _answers(r) == {specialist.username: "agreed", guests[0].username: "pending"}
    with pytest.raises(ValidationError):  # one question at a time
        recordings.recording_request(session=conference, actor=specialist)
    # Someone joining while the question is open is asked too.
    told = recordings.recording_joined(session=conference, user=guests[1])
    assert told is not None
    assert told["asked"] is True
    assert recordings.recording_consent(recording=r, user=guests[0], agree=True).status == "asking"
    r = recordings.recording_consent(recording=r, user=guests[1], agree=False)
    assert r.status == RecordingStatus.DECLINED
    with pytest.raises(ValidationError):
        recordings.recording_consent(recording=r, user=guests[1], agree=True)
    # Janus was never told to record: its folder is empty.
    assert list(recorded.iterdir()) == []


def test_a_recording_is_made_converted_played_by_insiders_and_deleted_in_time(
    recorded,
    janus,
    conference,
    specialist,
    outsider,
    login,
    settings,
):
    guest = conference.participants.filter(is_host=False).order_by("pk").first().user
    latecomer = conference.participants.filter(is_host=False).order_by("pk")[1].user
    tokens = video_sfu_admit(session=conference, user=specialist)
    assert tokens is not None
    conference.refresh_from_db()
    _present(conference, specialist, guest)
    with contextlib.ExitStack() as stack:
        media = stack.enter_context(janus_peer.MediaLoop())
        peer = stack.enter_context(janus_peer.JanusPeer(tokens.url, tokens.token))
        handle, joined = janus_peer.join(peer, tokens.room, tokens.room_token, tokens.peer_id)
        assert joined["videoroom"] == "joined"
        pc, answer = media.run(janus_peer.publish(peer, handle))
        assert answer["configured"] == "ok"
        r = recordings.recording_request(session=conference, actor=specialist)
        time.sleep(1)
        assert list(recorded.iterdir()) == []  # asked, not yet agreed: nothing written
        r = recordings.recording_consent(recording=r, user=guest, agree=True)
        assert r.status == RecordingStatus.RECORDING
        told = recordings.recording_joined(session=conference, user=latecomer)
        assert told is not None
        assert (told["state"], told["asked"]) == ("recording", False)
        time.sleep(3)
        stopped = recordings.recording_stop(session=conference, actor=specialist)
        assert stopped is not None
        r = stopped
        assert r.status == RecordingStatus.PROCESSING
        media.run(pc.close())
    assert _answers(r) == {
        specialist.username: "agreed",
        guest.username: "agreed",
        latecomer.username: "told",
    }
    written = sorted(p.name.split("-")[-2] for p in recorded.iterdir())
    assert written == ["audio", "video"]
    # The task worker's part: converted, put together, kept in the storage, read back.
    # A second speaker whose video cannot be converted (no frame Janus could write): their
    # sound is kept all the same, and the record says what was left out.
    [audio] = [p for p in recorded.iterdir() if "-audio-" in p.name]
    other = f"videoroom-{conference.sfu_room}-user-777-1-"
    shutil.copy(audio, recorded / f"{other}audio-0.mjr")
    (recorded / f"{other}video-1.mjr").write_bytes(b"not a recording")
    assert recordings.recording_process(recording_id=r.pk) == 2
    assert recordings.recording_process(recording_id=r.pk) == 0  # run twice: once
    r.refresh_from_db()
    assert f"{other}video-1.mjr" in r.error
    lone = RecordingFile.objects.get(recording=r, user=None)
    assert (lone.video_codec, lone.audio_codec) == ("", "opus")
    lone.delete()
    r.refresh_from_db()
    assert r.status == RecordingStatus.READY
    assert list(recorded.iterdir()) == []  # Janus's files removed once kept
    [part] = RecordingFile.objects.filter(recording=r)
    assert part.user == specialist
    assert (part.video_codec, part.audio_codec) == ("vp8", "opus")
    assert 2.0 < part.duration_seconds < 6.0
    assert part.duration_text == f"0:{round(part.duration_seconds):02d}"  # as a player shows it
    stored = Path(settings.MEDIA_ROOT) / str(part.file.name)
    assert recordings.read_back(stored)[1:] == ("vp8", "opus")
    assert part.size == stored.stat().st_size
    assert r.delete_after is not None
    assert r.delete_after - timezone.now() > timedelta(days=179)
    # Played by someone of the session, audited; an outsider and the removed get 404.
    url = f"/video/{conference.public_id}/recordings/{part.public_id}.webm"
    played = login(guest).get(url)
    assert played.status_code == 200
    assert played["Content-Type"] == "video/webm"
    assert b"".join(played.streaming_content)[:4] == b"\x1a\x45\xdf\xa3"  # EBML: WebM
    assert AuditEvent.objects.filter(
        purpose="recording played", actor=guest, object_id=str(conference.public_id)
    ).exists()
    assert login(outsider).get(url).status_code == 404
    VideoParticipant.objects.filter(session=conference, user=guest).update(
        removed_at=timezone.now()
    )
    assert login(guest).get(url).status_code == 404
    # The retention period ends: the file goes, the record says so.
    assert recordings.recordings_expire(now=r.delete_after - timedelta(seconds=1)) == 0
    assert recordings.recordings_expire(now=r.delete_after + timedelta(seconds=1)) == 1
    r.refresh_from_db()
    assert r.status == RecordingStatus.DELETED
    assert not stored.exists()
    assert login(specialist).get(url).status_code == 404
    purposes = set(
        AuditEvent.objects.filter(object_id=str(conference.public_id)).values_list(
            "purpose", flat=True
        )
    )
    assert {
        "recording asked",
        "recording consent",
        "recording started",
        "recording stopped",
        "recording converted",
        "recording deleted",
    } <= purposes
    assert sfu.room_id(conference) == conference.sfu_room
