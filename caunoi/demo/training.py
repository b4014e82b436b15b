"""A year of training in the demo: Huế's hub runs a teleECHO-style series on hypertension and
diabetes for the commune stations, Nhi Trung ương a paediatric emergency course; past sessions
with attendance recorded from the video room, completed learners with their tiết, the `worker`
persona with a ledger that warns of a shortfall. Built once; deterministic.

Past courses are history: their enrolments and attendance intervals are written as rows (the
services refuse to enrol on a course that has ended, as they should); completing them goes
through ``course_complete``, so the credits are what the platform would have given."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.consults.models import Status as ConsultStatus
from caunoi.network.models import Facility, Membership, Profession, Role, Specialty
from caunoi.training.models import (
    AttendanceInterval,
    AttendanceSource,
    CmeCredit,
    CmeProfile,
    CourseFormat,
    CreditSource,
    Enrolment,
    EnrolmentStatus,
    SessionMode,
    TrainingCentre,
)
from caunoi.training.services import (
    CourseInput,
    SessionInput,
    course_complete,
    course_enrol,
    course_publish,
    teaching_case_propose,
    teaching_case_review,
)

HUE = "Bệnh viện Trung ương Huế"
NHI = "Bệnh viện Nhi Trung ương"


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    zone = timezone.get_current_timezone()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


def _organiser(facility: Facility) -> User:
    m = (
        Membership.objects.filter(
            facility=facility, role__in=[Role.SPECIALIST, Role.COORDINATOR], is_active=True
        )
        .select_related("user")
        .order_by("role", "id")
        .first()
    )
    assert m is not None, f"no staff at {facility.name}"
    return m.user


def _weekly(
    first: date, count: int, title: str, mode: str = SessionMode.ROOM
) -> list[SessionInput]:
    return [
        SessionInput(
            title=f"{title} — buổi {n + 1}",
            starts_at=_at(first + timedelta(days=14 * n), 14),
            ends_at=_at(first + timedelta(days=14 * n), 15, 30),
            mode=mode,
            place="Hội trường tầng 3" if mode == SessionMode.IN_PERSON else "",
        )
        for n in range(count)
    ]


def demo_training_load(*, progress: Callable[[str], None] | None = None) -> int:
    say = progress or (lambda _message: None)
    if TrainingCentre.objects.exists():
        say("demo training already loaded")
        return 0
    today = timezone.localdate()
    hue = Facility.objects.get(name=HUE)
    nhi = Facility.objects.get(name=NHI)
    hue_centre = TrainingCentre.objects.create(
        facility=hue, cme_provider_code="BVTWH-ĐTLT", signer_name="TS.BS. Nguyễn Văn An"
    )
    nhi_centre = TrainingCentre.objects.create(
        facility=nhi, cme_provider_code="BVNTW-ĐTLT", signer_name="TS.BS. Lê Thị Thu"
    )
    hue_staff, nhi_staff = _organiser(hue), _organiser(nhi)
    worker = User.objects.get(username="worker")
    station_staff = list(
        User.objects.filter(memberships__role=Role.WORKER, memberships__is_active=True)
        .exclude(username="worker")
        .order_by("id")
        .distinct()[:14]
    )
    internal = Specialty.objects.get(code="internal-medicine")
    paediatrics = Specialty.objects.filter(code="paediatrics").first()
    made = 0
    with transaction.atomic():
        # 1. Finished: the first ECHO series (three sessions, two and four months ago).
        echo1, _ = course_publish(
            actor=hue_staff,
            centre=hue_centre,
            data=CourseInput(
                title_vi="ECHO Tăng huyết áp tại trạm y tế xã — đợt 1",
                title_en="ECHO hypertension at the commune station — series 1",
                description=(
                    "Mỗi buổi 90 phút: 30 phút bài giảng ngắn, 60 phút thảo luận ca bệnh do các "
                    "trạm trình bày (đã ẩn danh). Dành cho y sĩ, điều dưỡng, bác sĩ tuyến xã."
                ),
                tiet=Decimal(12),
                capacity=40,
                format=CourseFormat.LIVE_ONLINE,
                specialty=internal,
                audience_professions=[
                    Profession.DOCTOR,
                    Profession.ASSISTANT_DOCTOR,
                    Profession.NURSE,
                ],
                sessions=_weekly(today - timedelta(days=120), 3, "Tăng huyết áp"),
            ),
        )
        learners = [worker, *station_staff[:10]]
        for user in learners:
            Enrolment.objects.create(course=echo1, user=user, status=EnrolmentStatus.ENROLLED)
        for s in echo1.sessions.all():
            for n, user in enumerate(learners):
                if n % 5 == 4 and s.title.endswith("3"):
                    continue  # a few missed the last session: not completed
                left = s.ends_at - timedelta(minutes=5 if n % 3 else 40)
                AttendanceInterval.objects.create(
                    session=s,
                    user=user,
                    joined_at=s.starts_at + timedelta(minutes=n % 4),
                    left_at=left,
                    source=AttendanceSource.VIDEO,
                )
                if n % 3 == 0:  # the weak link dropped them; they rejoined
                    AttendanceInterval.objects.create(
                        session=s,
                        user=user,
                        joined_at=left + timedelta(minutes=3),
                        left_at=s.ends_at,
                        source=AttendanceSource.VIDEO,
                    )
        course_complete(course=echo1, actor=hue_staff)
        made += 1

        # 2. Running now: the diabetes series, one session done, two to come.
        echo2, _ = course_publish(
            actor=hue_staff,
            centre=hue_centre,
            data=CourseInput(
                title_vi="ECHO Đái tháo đường típ 2 tại tuyến xã — đợt 2",
                title_en="ECHO type 2 diabetes at the commune — series 2",
                description="Phát hiện, điều trị và theo dõi đái tháo đường típ 2 tại trạm.",
                tiet=Decimal(12),
                capacity=40,
                format=CourseFormat.LIVE_ONLINE,
                specialty=internal,
                sessions=_weekly(today + timedelta(days=3), 3, "Đái tháo đường"),
            ),
        )
        for user in [worker, *station_staff[:8]]:
            course_enrol(course=echo2, actor=user)
        made += 1

        # 3. Paediatric emergencies, in person, small and full: a waiting list.
        nhi_course, _ = course_publish(
            actor=nhi_staff,
            centre=nhi_centre,
            data=CourseInput(
                title_vi="Cấp cứu nhi khoa ban đầu cho tuyến xã",
                title_en="First-line paediatric emergencies for commune staff",
                description=(
                    "Nhận biết dấu hiệu nguy hiểm, hồi sức cơ bản, chuyển tuyến an toàn. "
                    "Thực hành trên mô hình."
                ),
                tiet=Decimal(16),
                capacity=6,
                format=CourseFormat.BLENDED,
                specialty=paediatrics,
                sessions=[
                    *_weekly(today + timedelta(days=10), 1, "Lý thuyết trực tuyến"),
                    *_weekly(today + timedelta(days=24), 1, "Thực hành", SessionMode.IN_PERSON),
                ],
            ),
        )
        for user in station_staff[:8]:
            course_enrol(course=nhi_course, actor=user)
        made += 1

        # The worker's history before the platform: credits from elsewhere, verified, and
        # one declared last month and not yet verified. With them the ledger holds 124 tiết,
        # of which 48 leave the five-year window in December: a warning.
        CmeProfile.objects.create(
            user=worker, licence_issued_on=date(2016, 5, 10), birth_date=date(1990, 4, 12)
        )
        history = [
            (today - timedelta(days=365 * 5 - 20), 48, "Tập huấn chăm sóc sức khoẻ ban đầu"),
            (today - timedelta(days=800), 40, "Khoá đào tạo sản nhi cơ bản"),
            (today - timedelta(days=400), 24, "Hội thảo kiểm soát bệnh không lây nhiễm"),
        ]
        for on, tiet, title in history:
            CmeCredit.objects.create(
                user=worker,
                activity_type="course" if "Khoá" in title or "Tập huấn" in title else "conference",
                title=title,
                provider="Sở Y tế tỉnh Tuyên Quang",
                tiet=Decimal(tiet),
                earned_on=on,
                source=CreditSource.SELF_DECLARED,
                verified_at=timezone.now(),
            )
        CmeCredit.objects.create(
            user=worker,
            activity_type="conference",
            title="Hội nghị sản phụ khoa khu vực miền núi phía Bắc",
            provider="Bệnh viện Sản Nhi tỉnh",
            tiet=Decimal(8),
            earned_on=today - timedelta(days=30),
            source=CreditSource.SELF_DECLARED,
        )
        # Teaching cases from the worker's closed consults at Huế: one approved, one waiting.
        closed = list(
            Consultation.objects.filter(
                requester=worker, hub=hue, status=ConsultStatus.CLOSED, specialist__isnull=False
            ).order_by("-closed_at")[:2]
        )
        coordinator = User.objects.get(username="coordinator")
        for n, consult in enumerate(closed):
            assert consult.specialist is not None
            case, _created = teaching_case_propose(consultation=consult, actor=consult.specialist)
            if n == 0 and coordinator.pk != consult.specialist_id:
                teaching_case_review(
                    case=case,
                    actor=coordinator,
                    approve=True,
                    confirmed_images=[i.public_id for i in case.images.all()],
                    note="Ca điển hình cho buổi ECHO tăng huyết áp.",
                )
    say(
        f"{made} courses, {Enrolment.objects.count()} enrolments, "
        f"{CmeCredit.objects.count()} credits, {len(closed)} teaching cases"
    )
    return made
