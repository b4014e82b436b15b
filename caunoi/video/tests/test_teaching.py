"""Teaching sessions (webinar mode): opened from a training session by its organiser, with the
course's learners as viewers; only speakers publish — a viewer who tries is refused by the room
itself when three speak, and kicked on Janus's event otherwise (a real Janus, aiortc as the
viewer's media); hands, the floor and questions follow their rules and are kept and audited."""

import contextlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.audit.models import AuditEvent
from caunoi.network.models import Membership
from caunoi.training.models import SessionMode, TrainingCentre
from caunoi.training.services import (
    course_enrol,
    course_publish,
    session_room_enter,
    session_room_open,
)
from caunoi.training.tests.test_courses import _input, _learners
from caunoi.video import sfu
from caunoi.video.models import SessionKind, VideoMessage, VideoParticipant
from caunoi.video.services import (
    video_hand,
    video_message_post,
    video_question_answered,
    video_sfu_admit,
    video_speaker_set,
)
from caunoi.video.tests import janus_peer
from caunoi.video.tests.janus_server import deliver, has_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def centre(specialist):
    """Huế's hub as a training centre, organised by the `specialist` persona."""
    hub = specialist.memberships.get(role="specialist").facility
    return TrainingCentre.objects.create(facility=hub, cme_provider_code="HUE-CME-01")


@pytest.fixture
def lesson(centre, specialist, worker):
    """A live online session of a course starting now, with the worker and three more
    learners enrolled."""
    data = _input(days=0)
    start = timezone.now() + timedelta(minutes=2)
    session = data.sessions[0].__class__(
        title="Buổi 1: đo huyết áp",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        mode=SessionMode.ROOM,
    )
    course = course_publish(
        actor=specialist,
        centre=centre,
        data=data.__class__(**{**data.__dict__, "sessions": [session]}),
    )[0]
    for learner in [worker, *_learners(2), *_newcomers(worker, 1)]:
        course_enrol(course=course, actor=learner)
    return course.sessions.get()


def _newcomers(worker, n, start=0):
    """``n`` more health workers of the worker's station (as the fixture network has few)."""
    station = worker.memberships.get(role="worker").facility
    people = []
    for i in range(start, start + n):
        user = User.objects.create_user(
            username=f"hoc-vien-{i}", full_name=f"Học Viên {i}", password="x"
        )
        Membership.objects.create(user=user, facility=station, role="worker")
        people.append(user)
    return people


def _roles(room):
    return dict(VideoParticipant.objects.filter(session=room).values_list("user__username", "role"))


def test_an_organiser_opens_the_room_with_the_courses_learners_as_viewers(
    janus, lesson, specialist, worker, coordinator, outsider
):
    room = session_room_open(session=lesson, actor=specialist)
    assert room.kind == SessionKind.TEACHING
    assert room.consultation_id is None
    learners = [e.user.username for e in lesson.course.enrolments.all()]
    assert _roles(room) == {specialist.username: "speaker"} | dict.fromkeys(learners, "viewer")
    assert VideoParticipant.objects.get(session=room, user=specialist).is_host
    lesson.refresh_from_db()
    assert lesson.video_session == room
    assert AuditEvent.objects.filter(
        purpose="video room opened", object_id=str(lesson.public_id)
    ).exists()
    # Opening again is the same room, and invites whoever enrolled since.
    [late] = _newcomers(worker, 1, start=1)
    course_enrol(course=lesson.course, actor=late)
    assert session_room_open(session=lesson, actor=specialist) == room
    assert _roles(room)[late.username] == "viewer"
    # A learner who comes on their own is invited (once); someone not on the course is not,
    # and nobody else opens the room.
    [later] = _newcomers(worker, 1, start=2)
    course_enrol(course=lesson.course, actor=later)
    assert session_room_enter(session=lesson, user=later) == room
    assert session_room_enter(session=lesson, user=later) == room
    assert VideoParticipant.objects.filter(session=room, user=later).count() == 1
    with pytest.raises(PermissionDenied):
        session_room_enter(session=lesson, user=coordinator)
    with pytest.raises(PermissionDenied):
        session_room_open(session=lesson, actor=worker)
    assert not VideoParticipant.objects.filter(session=room, user=coordinator).exists()
    # Everyone's way into the room says what they are.
    as_viewer = video_sfu_admit(session=room, user=worker)
    as_host = video_sfu_admit(session=room, user=specialist)
    assert as_viewer is not None
    assert as_host is not None
    assert (as_viewer.role, as_host.role) == ("viewer", "speaker")


def test_without_the_video_server_a_teaching_room_does_not_open(settings, lesson, specialist):
    settings.JANUS_URL = ""
    with pytest.raises(ValidationError) as refused:
        session_room_open(session=lesson, actor=specialist)
    assert "Janus" in " ".join(refused.value.messages)
    lesson.refresh_from_db()
    assert lesson.video_session is None


def test_the_floor_hands_and_questions_follow_their_rules(janus, lesson, specialist, worker):
    room = session_room_open(session=lesson, actor=specialist)
    viewers = list(
        VideoParticipant.objects.filter(session=room, role="viewer").select_related("user")
    )
    # A viewer raises a hand (twice is once); only the host gives the floor.
    assert video_hand(session=room, user=worker, up=True) is True
    assert video_hand(session=room, user=worker, up=True) is False
    with pytest.raises(PermissionDenied):
        video_speaker_set(session=room, actor=worker, user=viewers[1].user, speaker=True)
    assert video_speaker_set(session=room, actor=specialist, user=worker, speaker=True) is True
    p = VideoParticipant.objects.get(session=room, user=worker)
    assert (p.role, p.hand_raised_at) == ("speaker", None)  # the hand is lowered with it
    # Three speak at once at most, the host among them; the host always speaks.
    others = [v.user for v in viewers if v.user != worker]
    video_speaker_set(session=room, actor=specialist, user=others[0], speaker=True)
    with pytest.raises(ValidationError) as full:
        video_speaker_set(session=room, actor=specialist, user=others[1], speaker=True)
    assert "3" in " ".join(full.value.messages)
    with pytest.raises(ValidationError):
        video_speaker_set(session=room, actor=specialist, user=specialist, speaker=False)
    assert video_speaker_set(session=room, actor=specialist, user=worker, speaker=False) is True
    assert video_speaker_set(session=room, actor=specialist, user=others[1], speaker=True) is True
    assert sorted(_roles(room).values()).count("speaker") == 3
    # A question is kept with the session; the host marks it answered, once.
    question = video_message_post(session=room, user=worker, kind="question", text=" Hỏi? ")
    assert question.text == "Hỏi?"
    with pytest.raises(PermissionDenied):
        video_question_answered(session=room, actor=worker, message_id=question.pk)
    assert video_question_answered(session=room, actor=specialist, message_id=question.pk)
    assert not video_question_answered(session=room, actor=specialist, message_id=question.pk)
    question.refresh_from_db()
    assert question.answered_at is not None
    with pytest.raises(ValidationError):
        video_message_post(session=room, user=worker, kind="question", text="   ")
    purposes = list(
        AuditEvent.objects.filter(object_id=str(room.public_id)).values_list("purpose", flat=True)
    )
    for purpose in ("hand raised", "speaker changed", "room message", "question answered"):
        assert purpose in purposes
    assert purposes.count("speaker changed") == 4
    assert VideoMessage.objects.filter(session=room).count() == 1


def _tokens(room, user):
    tokens = video_sfu_admit(session=room, user=user)
    assert tokens is not None
    return tokens


def test_a_viewer_cannot_publish(janus, lesson, specialist, worker, settings, client):
    """Through a real Janus: the room refuses a publisher beyond its three speakers; below
    that, a viewer's publishing is seen in Janus's events and the viewer is kicked."""
    settings.JANUS_EVENTS_SECRET = janus.events_secret
    room = session_room_open(session=lesson, actor=specialist)
    viewers = [
        p.user for p in VideoParticipant.objects.filter(session=room, role="viewer").order_by("pk")
    ]
    viewer = next(u for u in viewers if u == worker)
    speakers = [u for u in viewers if u != worker][:2]
    for u in speakers:
        video_speaker_set(session=room, actor=specialist, user=u, speaker=True)

    connections = []
    with contextlib.ExitStack() as stack:
        media = stack.enter_context(janus_peer.MediaLoop())

        def enter(user):
            t = _tokens(room, user)
            peer = stack.enter_context(janus_peer.JanusPeer(t.url, t.token))
            handle, joined = janus_peer.join(peer, t.room, t.room_token, t.peer_id)
            assert joined["videoroom"] == "joined", joined
            return t, peer, handle

        def publish(peer, handle):
            pc, answer = media.run(janus_peer.publish(peer, handle))
            connections.append(pc)
            return answer

        # The three speakers publish.
        for user in [specialist, *speakers]:
            _t, peer, handle = enter(user)
            assert publish(peer, handle).get("configured") == "ok"
        # The viewer joins (to see who publishes) and tries to publish: the room is full.
        t, peer, handle = enter(viewer)
        assert publish(peer, handle).get("error_code") == 432  # too many publishers
        # One speaker is returned to the viewers and stops; the viewer tries again.
        video_speaker_set(session=room, actor=specialist, user=speakers[1], speaker=False)
        media.run(connections[2].close())
        peer.message(handle, {"request": "leave"})  # and comes back
        assert janus_peer.answer_to(peer, handle, "leaving", "error_code")["leaving"] == "ok"
        t, peer, handle = enter(viewer)
        janus.events.take()
        assert publish(peer, handle).get("configured") == "ok"  # Janus has a free seat…
        assert t.peer_id in {p["id"] for p in sfu.room_participants(room)}
        # …and the platform, told by Janus's event, kicks the viewer out.
        deliver(client, janus.wait_for_events(has_event("configured")))
        in_room = {p["id"] for p in sfu.room_participants(room)}
        assert t.peer_id not in in_room
        assert _tokens(room, specialist).peer_id in in_room  # the host publishes on
        for c in connections:
            media.run(c.close())


def test_a_teaching_session_is_training_not_a_video_consultation_in_the_indicators(
    janus, specialist, worker
):
    from caunoi.monitoring.catalogue import BY_CODE, Place
    from caunoi.monitoring.indicators import compute
    from caunoi.monitoring.periods import parse_period
    from caunoi.video.models import VideoSession
    from caunoi.video.services import video_session_schedule, video_teaching_schedule

    start = timezone.now() - timedelta(hours=1)

    def held(session):
        VideoSession.objects.filter(pk=session.pk).update(
            status="ended", started_at=start, ended_at=start + timedelta(minutes=30)
        )

    month = parse_period(timezone.localtime(start).strftime("%Y-%m"))  # the month it was held

    def count():
        return compute(BY_CODE["video_sessions"], month, Place()).total.value or 0

    before = count()
    held(
        video_session_schedule(
            actor=specialist,
            title="Hội chẩn",
            scheduled_at=timezone.now(),
            participants=[worker],
        )
    )
    held(
        video_teaching_schedule(
            actor=specialist,
            title="Bài giảng",
            scheduled_at=timezone.now(),
            duration_minutes=60,
            viewers=[worker],
        )
    )
    assert count() == before + 1


def test_a_learner_coming_before_the_room_opens_goes_back_to_the_course_and_nowhere_else(
    janus, lesson, worker, login
):
    answer = login(worker).post(
        f"/training/sessions/{lesson.public_id}/room/", {"back": "https://example.org/"}
    )
    assert answer.status_code == 302
    assert answer["Location"] == lesson.course.get_absolute_url()
    lesson.refresh_from_db()
    assert lesson.video_session is None
