"""Publishing courses, finding and enrolling on them, the waiting list, attendance from
recorded intervals and its correction, completion into the CME ledger."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.audit.models import AuditEvent
from caunoi.network.models import Membership, Profession, Specialty
from caunoi.notifications.models import Notification
from caunoi.training.models import (
    AttendanceSource,
    CmeCredit,
    CmeProfile,
    Course,
    CourseFormat,
    Enrolment,
    EnrolmentStatus,
    SessionMode,
)
from caunoi.training.selectors import cme_compliance, cme_ledger, course_catalogue
from caunoi.training.services import (
    CourseInput,
    SessionInput,
    attendance_correct,
    attendance_join,
    attendance_leave,
    course_complete,
    course_enrol,
    course_publish,
    enrolment_cancel,
    session_attendance_compute,
    session_reminders_send,
)

pytestmark = pytest.mark.django_db


def _input(*, capacity=30, days=7, professions=(), title="Tăng huyết áp ở tuyến xã", hours=2):
    start = timezone.now() + timedelta(days=days)
    return CourseInput(
        title_vi=title,
        title_en="Hypertension at the commune",
        tiet=Decimal(8),
        capacity=capacity,
        format=CourseFormat.LIVE_ONLINE,
        specialty=Specialty.objects.get(code="internal-medicine"),
        audience_professions=list(professions),
        sessions=[
            SessionInput(
                title="Buổi 1",
                starts_at=start,
                ends_at=start + timedelta(hours=hours),
                mode=SessionMode.ROOM,
            )
        ],
    )


def _learners(n):
    """``n`` more workers of the fixture network (other stations' staff)."""
    users = list(
        User.objects.filter(memberships__role="worker").exclude(username="worker").order_by("id")
    )
    assert len(users) >= n
    return users[:n]


@pytest.fixture
def course(centre, specialist):
    return course_publish(actor=specialist, centre=centre, data=_input())[0]


def test_only_the_centres_staff_publish_its_courses(centre, worker):
    with pytest.raises(PermissionDenied):
        course_publish(actor=worker, centre=centre, data=_input())
    assert not Course.objects.exists()


def test_publishing_is_audited_and_the_same_request_twice_makes_one_course(centre, specialist):
    key = uuid.uuid4()
    first, created = course_publish(actor=specialist, centre=centre, data=_input(), client_id=key)
    again, created_again = course_publish(
        actor=specialist, centre=centre, data=_input(), client_id=key
    )
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Course.objects.count() == 1
    assert first.sessions.count() == 1
    assert AuditEvent.objects.filter(object_id=str(first.public_id), action="create").count() == 1


@pytest.mark.parametrize("tiet", [Decimal(0), Decimal("0.4"), Decimal(201), Decimal(-3)])
def test_tiet_out_of_range_is_refused_and_nothing_is_saved(centre, specialist, tiet):
    data = _input()
    bad = CourseInput(**{**data.__dict__, "tiet": tiet})
    with pytest.raises(ValidationError) as refused:
        course_publish(actor=specialist, centre=centre, data=bad)
    assert "tiet" in refused.value.message_dict
    assert not Course.objects.exists()


def test_a_session_must_end_after_it_starts(centre, specialist):
    start = timezone.now() + timedelta(days=2)
    data = CourseInput(
        **{
            **_input().__dict__,
            "sessions": [SessionInput("x", start, start - timedelta(hours=1), SessionMode.ROOM)],
        }
    )
    with pytest.raises(ValidationError):
        course_publish(actor=specialist, centre=centre, data=data)
    assert not Course.objects.exists()


def test_the_catalogue_searches_without_diacritics_and_for_my_profession(
    centre, specialist, worker
):
    course_publish(actor=specialist, centre=centre, data=_input())
    course_publish(
        actor=specialist,
        centre=centre,
        data=_input(title="Hồi sức sơ sinh", professions=[Profession.MIDWIFE]),
    )
    titles = lambda **kw: [c.title_vi for c in course_catalogue(worker, **kw)]  # noqa: E731
    assert titles(q="tang huyet ap") == ["Tăng huyết áp ở tuyến xã"]
    assert titles(q="HUYẾT") == ["Tăng huyết áp ở tuyến xã"]
    assert len(titles()) == 2
    worker_profession = worker.memberships.get(role="worker").profession
    assert worker_profession != Profession.MIDWIFE
    assert titles(for_me=True) == ["Tăng huyết áp ở tuyến xã"]


def test_enrolling_takes_a_place_then_the_waiting_list_and_twice_changes_nothing(
    centre, specialist, worker
):
    course = course_publish(actor=specialist, centre=centre, data=_input(capacity=2))[0]
    a, b = _learners(2)
    assert course_enrol(course=course, actor=a)[0].status == EnrolmentStatus.ENROLLED
    assert course_enrol(course=course, actor=b)[0].status == EnrolmentStatus.ENROLLED
    third, created = course_enrol(course=course, actor=worker)
    assert (third.status, created) == (EnrolmentStatus.WAITLISTED, True)
    again, created_again = course_enrol(course=course, actor=worker)
    assert (again.pk, created_again) == (third.pk, False)
    assert Enrolment.objects.filter(course=course).count() == 3
    assert Notification.objects.filter(user=worker, kind="training.waitlisted").count() == 1


def test_a_freed_place_goes_to_the_first_on_the_waiting_list_who_is_told(
    centre, specialist, worker
):
    course = course_publish(actor=specialist, centre=centre, data=_input(capacity=1))[0]
    (first,) = _learners(1)
    held = course_enrol(course=course, actor=first)[0]
    course_enrol(course=course, actor=worker)
    enrolment_cancel(enrolment=held, actor=first)
    assert Enrolment.objects.get(course=course, user=worker).status == EnrolmentStatus.ENROLLED
    assert Notification.objects.filter(user=worker, kind="training.place_opened").exists()
    with pytest.raises(PermissionDenied):
        enrolment_cancel(enrolment=Enrolment.objects.get(user=worker), actor=first)


def test_a_course_for_another_profession_refuses_enrolment(centre, specialist, worker):
    course = course_publish(
        actor=specialist, centre=centre, data=_input(professions=[Profession.MIDWIFE])
    )[0]
    with pytest.raises(ValidationError):
        course_enrol(course=course, actor=worker)
    assert not Enrolment.objects.exists()


def _past_course(centre, specialist, learners, *, hours=2):
    course = course_publish(actor=specialist, centre=centre, data=_input(hours=hours))[0]
    for learner in learners:
        course_enrol(course=course, actor=learner)
    session = course.sessions.get()
    # Move the course into the past (publishing refuses no date, the clock does).
    start = timezone.now() - timedelta(days=1)
    session.starts_at, session.ends_at = start, start + timedelta(hours=hours)
    session.save()
    day = timezone.localdate(start)
    Course.objects.filter(pk=course.pk).update(starts_on=day, ends_on=day)
    course.refresh_from_db()
    return course, session


def test_attendance_counts_the_union_of_a_learners_intervals_against_the_share(
    centre, specialist, worker
):
    other, late = _learners(2)
    _course, s = _past_course(centre, specialist, [worker, other, late])
    t0 = s.starts_at
    # worker: 0-60 and 50-100 min (overlap) = 100 of 120 min (83 %): present.
    attendance_join(session=s, user=worker, source=AttendanceSource.VIDEO, at=t0)
    attendance_leave(session=s, user=worker, at=t0 + timedelta(minutes=60))
    attendance_join(
        session=s, user=worker, source=AttendanceSource.VIDEO, at=t0 + timedelta(minutes=50)
    )
    attendance_leave(session=s, user=worker, at=t0 + timedelta(minutes=100))
    # other: 0-90 min = 75 %: absent.
    attendance_join(session=s, user=other, source=AttendanceSource.VIDEO, at=t0)
    attendance_leave(session=s, user=other, at=t0 + timedelta(minutes=90))
    rows = {a.user_id: a for a in session_attendance_compute(session=s)}
    assert rows[worker.pk].seconds == 100 * 60
    assert rows[worker.pk].present
    assert rows[other.pk].seconds == 90 * 60
    assert not rows[other.pk].present
    assert rows[late.pk].seconds == 0
    assert not rows[late.pk].present


def test_only_enrolled_learners_join_a_session(centre, specialist, worker):
    _course, s = _past_course(centre, specialist, [])
    with pytest.raises(PermissionDenied):
        attendance_join(session=s, user=worker, source=AttendanceSource.VIDEO)


def test_the_organiser_corrects_attendance_with_a_reason_and_it_is_audited(
    centre, specialist, worker
):
    _course, s = _past_course(centre, specialist, [worker])
    (row,) = session_attendance_compute(session=s)
    assert not row.counts_as_present
    with pytest.raises(ValidationError):
        attendance_correct(attendance=row, actor=specialist, present=True, reason="")
    with pytest.raises(PermissionDenied):
        attendance_correct(attendance=row, actor=worker, present=True, reason="Tôi đã dự")
    fixed = attendance_correct(
        attendance=row, actor=specialist, present=True, reason="Dự qua điện thoại, mất mạng"
    )
    assert fixed.counts_as_present
    assert not fixed.present
    assert AuditEvent.objects.filter(
        purpose="training attendance correction", actor=specialist
    ).exists()
    # Recomputing keeps the correction.
    (again,) = session_attendance_compute(session=s)
    assert again.counts_as_present


def test_completing_a_course_credits_those_present_once(centre, specialist, worker):
    (absent,) = _learners(1)
    course, s = _past_course(centre, specialist, [worker, absent])
    attendance_join(session=s, user=worker, source=AttendanceSource.VIDEO, at=s.starts_at)
    attendance_leave(session=s, user=worker, at=s.ends_at)
    credits = course_complete(course=course, actor=specialist)
    assert [c.user_id for c in credits] == [worker.pk]
    assert credits[0].tiet == Decimal(8)
    assert course_complete(course=course, actor=specialist) == []
    assert CmeCredit.objects.filter(user=worker).count() == 1
    assert Enrolment.objects.get(user=worker).status == EnrolmentStatus.COMPLETED
    assert Enrolment.objects.get(user=absent).status == EnrolmentStatus.ENROLLED


def test_a_course_is_not_completed_before_its_last_session(course, specialist):
    with pytest.raises(ValidationError):
        course_complete(course=course, actor=specialist)


def test_the_ledger_warns_a_year_before_older_credits_leave_the_window(worker):
    today = date(2026, 11, 27)
    CmeProfile.objects.create(user=worker, licence_issued_on=date(2015, 3, 1))
    for on, tiet in [(date(2022, 3, 1), 60), (date(2024, 6, 1), 40), (date(2025, 9, 1), 24)]:
        CmeCredit.objects.create(
            user=worker,
            activity_type="course",
            title="Khoá học",
            provider="BV",
            tiet=Decimal(tiet),
            earned_on=on,
            source="platform",
        )
    # A self-declared credit does not count until verified.
    CmeCredit.objects.create(
        user=worker,
        activity_type="conference",
        title="Hội thảo",
        provider="Sở Y tế",
        tiet=Decimal(50),
        earned_on=date(2026, 1, 10),
        source="self_declared",
    )
    book = cme_ledger(worker, today=today)
    assert book.status.window_total == Decimal(124)
    assert book.status.deadline == date(2027, 3, 1)  # the 60 of 01/03/2022 leave then
    assert book.status.missing == Decimal(56)
    assert book.status.warning
    assert not book.status.short_now
    assert [c.title for c in book.pending] == ["Hội thảo"]
    assert {line.activity_type: line.tiet for line in book.by_activity}["course"] == 124


def test_page_catalogue_course_enrol_and_ledger(course, worker, login):
    client = login(worker)
    page = client.get("/training/?q=huyet+ap").content.decode()
    assert "Tăng huyết áp ở tuyến xã" in page
    assert "8 tiết" in page
    detail = client.get(course.get_absolute_url()).content.decode()
    assert "HUE-CME-01" in detail
    answer = client.post(f"/training/courses/{course.public_id}/enrol/", follow=True)
    assert "Bạn đã đăng ký khoá học" in answer.content.decode()
    assert Enrolment.objects.get(user=worker).status == EnrolmentStatus.ENROLLED
    again = client.post(f"/training/courses/{course.public_id}/enrol/", follow=True)
    assert "Bạn đã có tên trong khoá học này" in again.content.decode()
    assert Enrolment.objects.filter(user=worker).count() == 1
    ledger = client.get("/training/ledger/").content.decode()
    assert "Tăng huyết áp ở tuyến xã" in ledger


def test_a_draft_course_is_404_for_learners(course, worker, login):
    Course.objects.filter(pk=course.pk).update(status="draft")
    assert login(worker).get(course.get_absolute_url()).status_code == 404


def test_api_lists_a_course_enrols_and_reads_the_ledger(course, worker, api_client):
    client = api_client(worker)
    listing = client.get("/api/courses?q=tang").json()
    assert listing["count"] == 1
    item = listing["items"][0]
    assert (item["tiet"], item["cme_provider_code"], item["places_taken"]) == (
        "8.0",
        "HUE-CME-01",
        0,
    )
    first = client.post(f"/api/courses/{course.public_id}/enrol")
    second = client.post(f"/api/courses/{course.public_id}/enrol")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert first.json()["status"] == "enrolled"
    assert client.get(f"/api/courses/{course.public_id}").json()["places_taken"] == 1
    ledger = client.get("/api/cme/ledger").json()
    assert (ledger["required"], ledger["window_total"], ledger["missing"]) == ("120", "0", "120")
    other = Membership.objects.exclude(user=worker).select_related("user")[0].user
    assert client.get(f"/api/cme/ledger?worker={other.public_id}").status_code == 404
    assert client.get("/api/courses?colour=red").status_code == 422


def test_learners_are_reminded_once_the_day_before_each_session(centre, specialist, worker):
    course = course_publish(actor=specialist, centre=centre, data=_input(days=2))[0]
    (waiting,) = _learners(1)
    course_enrol(course=course, actor=worker)
    Course.objects.filter(pk=course.pk).update(capacity=1)
    course.refresh_from_db()
    course_enrol(course=course, actor=waiting)  # on the waiting list: not reminded
    session = course.sessions.get()
    assert session_reminders_send(now=session.starts_at - timedelta(hours=30)) == 0
    assert session_reminders_send(now=session.starts_at - timedelta(hours=20)) == 1
    assert session_reminders_send(now=session.starts_at - timedelta(hours=19)) == 0
    reminded = Notification.objects.filter(kind="training.reminder")
    assert [n.user_id for n in reminded] == [worker.pk]
    assert "Tăng huyết áp ở tuyến xã" in reminded[0].title


def _course_body(**changes):
    start = timezone.now() + timedelta(days=5)
    body = {
        "title_vi": "Sàng lọc đái tháo đường",
        "format": "live_online",
        "tiet": "6",
        "capacity": 25,
        "specialty": "internal-medicine",
        "for_professions": ["nurse", "assistant_doctor"],
        "sessions": [
            {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}
        ],
    }
    return {**body, **changes}


def test_api_publishes_a_course_once_per_idempotency_key(centre, specialist, api_client):
    client = api_client(specialist)
    key = str(uuid.uuid4())
    first = client.post(
        "/api/courses",
        _course_body(),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )
    again = client.post(
        "/api/courses",
        _course_body(),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["for_professions"] == ["assistant_doctor", "nurse"]
    assert first.json()["cme_provider_code"] == "HUE-CME-01"
    assert len(first.json()["sessions"]) == 1
    assert Course.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tiet": "500"}, "tiet"),
        ({"capacity": 0}, "capacity"),
        ({"specialty": "astrology"}, "specialty"),
        ({"sessions": []}, "sessions"),
    ],
)
def test_api_refuses_bad_courses_field_by_field_and_saves_nothing(
    centre, specialist, api_client, changes, field
):
    response = api_client(specialist).post(
        "/api/courses",
        _course_body(**changes),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 422
    assert field in [e["field"].split(".")[0] for e in response.json()["errors"]]
    assert not Course.objects.exists()


def test_api_refuses_a_course_from_someone_who_organises_no_centre(centre, worker, api_client):
    response = api_client(worker).post(
        "/api/courses",
        _course_body(),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "centre"
    assert not Course.objects.exists()


def test_the_staff_summary_counts_the_rule_per_facility_without_names(
    worker, officer, donor, login
):
    today = timezone.localdate()
    station = worker.memberships.get(role="worker").facility
    colleague = (
        Membership.objects.filter(facility=station, role="worker").exclude(user=worker)[0].user
    )
    for user in (worker, colleague):
        CmeProfile.objects.create(user=user, licence_issued_on=date(2015, 1, 1))
    # worker: 120 tiết this year (on track); colleague: 130 of which 40 leave within a year.
    CmeCredit.objects.create(
        user=worker,
        activity_type="course",
        title="A",
        provider="BV",
        tiet=Decimal(120),
        earned_on=today - timedelta(days=10),
        source="platform",
    )
    CmeCredit.objects.create(
        user=colleague,
        activity_type="course",
        title="B",
        provider="BV",
        tiet=Decimal(40),
        earned_on=today - timedelta(days=5 * 365 - 60),
        source="platform",
    )
    CmeCredit.objects.create(
        user=colleague,
        activity_type="course",
        title="C",
        provider="BV",
        tiet=Decimal(90),
        earned_on=today - timedelta(days=100),
        source="platform",
    )
    rows = {r.facility.pk: r for r in cme_compliance({station.pk}, today=today)}
    row = rows[station.pk]
    staff = Membership.objects.active().filter(facility=station).values("user").distinct().count()
    assert row.staff == staff
    # The colleague is warned; the worker is on track, and so is anyone else there, whose
    # obligation started when the platform first knew them (today: five years to go).
    assert (row.on_track, row.warning, row.short) == (staff - 1, 1, 0)
    page = login(officer).get("/training/compliance/").content.decode()
    assert station.name in page
    assert worker.full_name not in page
    assert colleague.full_name not in page
    assert login(donor).get("/training/compliance/").status_code == 404
