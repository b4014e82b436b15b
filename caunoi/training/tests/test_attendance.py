"""Attendance as it is recorded: on-site QR check-in (a forged or stale code changes nothing),
joins of the platform's video room, the organisers' page and API."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from caunoi.training.models import AttendanceInterval, SessionMode
from caunoi.training.services import (
    CHECKIN_STEP,
    attendance_check_in,
    checkin_code,
    course_enrol,
    course_publish,
    session_attendance_compute,
)
from caunoi.training.tests.test_courses import _input, _learners
from caunoi.video.models import VideoJoin, VideoSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_site(centre, specialist, worker):
    data = _input(days=0)
    start = timezone.now() + timedelta(minutes=10)
    session = data.sessions[0].__class__(
        title="Thực hành",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        mode=SessionMode.IN_PERSON,
        place="Hội trường",
    )
    course = course_publish(
        actor=specialist,
        centre=centre,
        data=data.__class__(**{**data.__dict__, "sessions": [session]}),
    )[0]
    course_enrol(course=course, actor=worker)
    return course.sessions.get()


def test_a_learner_checks_in_with_the_current_code_once(on_site, worker):
    now = on_site.starts_at - timedelta(minutes=5)
    interval, created = attendance_check_in(
        session=on_site, user=worker, code=checkin_code(on_site, at=now), at=now
    )
    assert created
    assert (interval.joined_at, interval.left_at) == (on_site.starts_at, on_site.ends_at)
    again, created_again = attendance_check_in(
        session=on_site, user=worker, code=checkin_code(on_site, at=now), at=now
    )
    assert (again.pk, created_again) == (interval.pk, False)
    (row,) = session_attendance_compute(session=on_site, now=on_site.ends_at)
    assert row.present


@pytest.mark.parametrize(
    "make_code",
    [
        lambda s, at: "000000000000",  # made up
        lambda s, at: checkin_code(s, at=at - timedelta(seconds=3 * CHECKIN_STEP)),  # stale photo
        lambda s, at: checkin_code(s, at=at)[:-1] + "x",  # altered
    ],
)
def test_a_forged_or_stale_code_is_refused_and_changes_nothing(on_site, worker, make_code):
    at = on_site.starts_at + timedelta(minutes=20)
    with pytest.raises(ValidationError) as refused:
        attendance_check_in(session=on_site, user=worker, code=make_code(on_site, at), at=at)
    assert "không hợp lệ" in " ".join(refused.value.messages)
    assert not AttendanceInterval.objects.exists()


def test_the_previous_code_is_still_taken_just_after_it_changes(on_site, worker):
    shown = on_site.starts_at + timedelta(minutes=1)
    attendance_check_in(
        session=on_site,
        user=worker,
        code=checkin_code(on_site, at=shown),
        at=shown + timedelta(seconds=CHECKIN_STEP),
    )
    assert AttendanceInterval.objects.count() == 1


def test_check_in_is_open_only_around_the_session(on_site, worker):
    for at in (on_site.starts_at - timedelta(hours=1), on_site.ends_at + timedelta(minutes=1)):
        with pytest.raises(ValidationError):
            attendance_check_in(
                session=on_site, user=worker, code=checkin_code(on_site, at=at), at=at
            )
    assert not AttendanceInterval.objects.exists()


def test_a_learner_not_enrolled_cannot_check_in(on_site):
    (stranger,) = _learners(1)
    at = on_site.starts_at
    with pytest.raises(PermissionDenied) as refused:
        attendance_check_in(
            session=on_site, user=stranger, code=checkin_code(on_site, at=at), at=at
        )
    assert "ghi danh" in str(refused.value)
    assert not AttendanceInterval.objects.exists()


def test_the_scan_page_checks_in_only_after_confirming(on_site, worker, login):
    client = login(worker)
    url = f"/training/sessions/{on_site.public_id}/check-in/?code={checkin_code(on_site)}"
    count = AttendanceInterval.objects.count
    page = client.get(url)
    assert "Tôi đã có mặt" in page.content.decode()
    assert count() == 0
    # The session starts in 10 minutes: check-in is open.
    answer = client.post(url, {"code": checkin_code(on_site)}, follow=True)
    assert count() == 1
    assert "Bạn đã điểm danh" in answer.content.decode()
    forged = client.post(url, {"code": "abc"}, follow=True)
    assert forged.status_code == 200
    assert count() == 1


def test_video_room_joins_are_the_attendance_of_an_online_session(
    centre,
    specialist,
    worker,
):
    course = course_publish(actor=specialist, centre=centre, data=_input(days=1))[0]
    course_enrol(course=course, actor=worker)
    session = course.sessions.get()
    room = VideoSession.objects.create(
        title=session.title, scheduled_at=session.starts_at, created_by=specialist
    )
    session.video_session = room
    session.save()
    t0 = session.starts_at
    # Dropped twice on a weak link, rejoined: 0-50, 48-100, 103-120 min = 117 of 120.
    for start, end in [(0, 50), (48, 100), (103, 120)]:
        VideoJoin.objects.create(
            session=room,
            user=worker,
            channel_name="x",
            joined_at=t0 + timedelta(minutes=start),
            left_at=t0 + timedelta(minutes=end),
        )
    (row,) = session_attendance_compute(session=session, now=session.ends_at)
    assert row.seconds == 117 * 60
    assert row.present


def test_the_organisers_see_the_session_page_and_api_learners_get_404(
    on_site, worker, specialist, login, api_client
):
    session_attendance_compute(session=on_site)
    assert login(worker).get(on_site.get_absolute_url()).status_code == 404
    page = login(specialist).get(on_site.get_absolute_url()).content.decode()
    assert "<svg" in page  # the check-in QR code
    assert worker.full_name in page
    assert (
        api_client(worker).get(f"/api/training-sessions/{on_site.public_id}/attendance").status_code
        == 404
    )
    body = (
        api_client(specialist).get(f"/api/training-sessions/{on_site.public_id}/attendance").json()
    )
    assert body["count"] == 1
    assert body["items"][0]["name"] == worker.full_name
    assert body["items"][0]["present"] is False
