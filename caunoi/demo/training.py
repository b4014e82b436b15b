"""A year of training in the demo: Huế's hub runs a teleECHO-style series on hypertension and
diabetes for the commune stations, Nhi Trung ương a paediatric emergency course; past sessions
with attendance recorded from the video room, completed learners with their tiết, the `worker`
persona with a ledger that warns of a shortfall, the `head` of her station (nominations, an
activity to check), pre/post test scores and evaluations, a teaching case presented in a session,
and one revoked certificate. Built once; deterministic.

Past courses are history: their enrolments and attendance intervals are written as rows (the
services refuse to enrol on a course that has ended, as they should); completing them goes
through ``course_complete``, so the credits are what the platform would have given."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.consults.models import Status as ConsultStatus
from caunoi.core.text import fold
from caunoi.demo.network import DEMO_PASSWORD, stable_uuid
from caunoi.network.models import (
    Facility,
    Membership,
    Profession,
    Role,
    Specialty,
    TechnicalLevel,
)
from caunoi.training.models import (
    AssessmentAttempt,
    AssessmentQuestion,
    AttendanceInterval,
    AttendanceSource,
    CaseStatus,
    Certificate,
    CmeCredit,
    CmeProfile,
    CourseFormat,
    CreditSource,
    Enrolment,
    EnrolmentStatus,
    SessionCase,
    SessionEvaluation,
    SessionMode,
    TeachingCase,
    TrainingCentre,
    TrainingSession,
)
from caunoi.training.services import (
    CourseInput,
    QuestionInput,
    SessionInput,
    certificate_revoke,
    course_complete,
    course_enrol,
    course_nominate,
    course_publish,
    session_attendance_compute,
    teaching_case_propose,
    teaching_case_review,
)
from caunoi.video.models import (
    MessageKind,
    ParticipantRole,
    SessionKind,
    VideoMessage,
    VideoParticipant,
    VideoSession,
)

# The hypertension series' test: the same questions before and after it.
HTN_TEST = [
    QuestionInput(
        "Ngưỡng chẩn đoán tăng huyết áp khi đo tại trạm là bao nhiêu?",
        ["≥ 140/90 mmHg", "≥ 130/80 mmHg", "≥ 160/100 mmHg"],
        0,
    ),
    QuestionInput(
        "Người bệnh huyết áp 190/120 mmHg kèm đau ngực: việc đầu tiên cần làm?",
        [
            "Hẹn khám lại sau 1 tuần",
            "Xử trí ban đầu và chuyển tuyến ngay",
            "Tăng liều thuốc đang dùng",
        ],
        1,
    ),
    QuestionInput(
        "Thuốc nào thường dùng đầu tay tại tuyến xã?",
        ["Amlodipin", "Corticoid", "Kháng sinh"],
        0,
    ),
    QuestionInput(
        "Bao lâu nên đo lại huyết áp cho người bệnh mới điều trị?",
        ["2–4 tuần", "6 tháng", "1 năm"],
        0,
    ),
    QuestionInput(
        "Lời khuyên về muối ăn cho người tăng huyết áp?",
        ["Dưới 5 g mỗi ngày", "Không cần hạn chế", "Dưới 15 g mỗi ngày"],
        0,
    ),
]


def _scanned_certificate() -> bytes:
    """A small stand-in for a photographed paper certificate."""
    image = Image.new("RGB", (480, 340), "#fbf8ef")
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 12, 467, 327), outline="#8a6d3b", width=4)
    draw.text((150, 60), "GIAY CHUNG NHAN", fill="#333333")
    draw.text((60, 140), "Hoi nghi san phu khoa khu vuc mien nui phia Bac", fill="#333333")
    draw.text((60, 180), "8 tiet", fill="#333333")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _head_of(station: Facility) -> User:
    """The head of the `worker` persona's station (a documented demo account, `head`)."""
    user = User.objects.create(
        public_id=stable_uuid("user", "head"),
        username="head",
        full_name="Vàng Mí Páo",
        search_name=fold("Vàng Mí Páo head"),
        email="head@demo.caunoi.vn",
        password=make_password(DEMO_PASSWORD),
    )
    Membership.objects.create(
        public_id=stable_uuid("membership", "head"),
        user=user,
        facility=station,
        role=Role.WORKER,
        profession=Profession.DOCTOR,
        title="Trưởng trạm",
        is_head=True,
    )
    return user


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


def demo_teaching_room(session: TrainingSession | None, host: User) -> None:
    """The next online session's room, opened by its organiser: a teaching session (webinar)
    with the course's learners as viewers and a question asked ahead. Written as rows (the
    service asks for a running Janus, which the demo starts only when it serves)."""
    if session is None:
        return
    room = VideoSession.objects.create(
        kind=SessionKind.TEACHING,
        title=f"{session.course.title_vi} · {session.title}",
        scheduled_at=session.starts_at,
        duration_minutes=session.duration_minutes,
        created_by=host,
    )
    learners = [
        e.user
        for e in session.course.enrolments.filter(status=EnrolmentStatus.ENROLLED)
        .select_related("user")
        .order_by("id")
    ]
    VideoParticipant.objects.bulk_create(
        [VideoParticipant(session=room, user=host, invited_by=host, is_host=True)]
        + [
            VideoParticipant(session=room, user=u, invited_by=host, role=ParticipantRole.VIEWER)
            for u in learners
        ]
    )
    if learners:
        VideoMessage.objects.create(
            session=room,
            user=learners[0],
            kind=MessageKind.QUESTION,
            text="Bệnh nhân đang dùng metformin bị suy thận nhẹ thì có cần giảm liều không?",
        )
    session.video_session = room
    session.save(update_fields=["video_session", "updated_at"])


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
                audience_levels=[TechnicalLevel.INITIAL],
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
        # The test before and after, and the evaluations (scores rise; most found it useful).
        sessions1 = list(echo1.sessions.order_by("starts_at"))
        questions = AssessmentQuestion.objects.bulk_create(
            [
                AssessmentQuestion(
                    course=echo1, position=n, text=q.text, choices=list(q.choices), answer=q.answer
                )
                for n, q in enumerate(HTN_TEST, start=1)
            ]
        )
        for n, e in enumerate(Enrolment.objects.filter(course=echo1).order_by("id")):
            for kind, session, right in (
                ("pre", sessions1[0], 2 + n % 2),
                ("post", sessions1[-1], 4 + (n % 3 == 0)),
            ):
                answers = [
                    q.answer if i < right else (q.answer + 1) % len(q.choices)
                    for i, q in enumerate(questions)
                ]
                score = Decimal(100 * right) / len(questions)
                AssessmentAttempt.objects.create(
                    enrolment=e,
                    kind=kind,
                    session=session,
                    answers=answers,
                    correct=right,
                    total=len(questions),
                    score=score,
                )
            for session in sessions1:
                SessionEvaluation.objects.create(
                    session=session,
                    user=e.user,
                    rating=5 if n % 3 else 4,
                    relevant=n % 4 != 3,
                    comment=(
                        "Ca bệnh của trạm bạn rất giống bệnh nhân ở xã tôi."
                        if n == 1 and session == sessions1[0]
                        else ""
                    ),
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
        course_enrol(course=echo2, actor=worker)
        station = worker.memberships.get(role=Role.WORKER).facility
        assert station is not None
        head = _head_of(station)
        for user in station_staff[:8]:
            course_enrol(course=echo2, actor=user)
        demo_teaching_room(echo2.sessions.order_by("starts_at").first(), hue_staff)
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
        for user in station_staff[:6]:
            course_enrol(course=nhi_course, actor=user)
        # The head nominates the worker: the course is full, so she waits for a place.
        course_nominate(course=nhi_course, learner=worker, actor=head)
        for user in station_staff[6:8]:
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
        declared = CmeCredit(
            user=worker,
            activity_type="conference",
            title="Hội nghị sản phụ khoa khu vực miền núi phía Bắc",
            provider="Bệnh viện Sản Nhi tỉnh",
            tiet=Decimal(8),
            earned_on=today - timedelta(days=30),
            source=CreditSource.SELF_DECLARED,
            evidence_type="image/jpeg",
        )
        declared.evidence.save("evidence.jpg", ContentFile(_scanned_certificate()), save=False)
        declared.save()
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
        # A case presented at the first ECHO session: its presenter earned tiết of teaching.
        approved = TeachingCase.objects.filter(status=CaseStatus.APPROVED).first()
        if approved is not None:
            SessionCase.objects.create(session=sessions1[1], case=approved, presenter=hue_staff)
            session_attendance_compute(session=sessions1[1])
        # One certificate revoked: the learner's attendance was found to be a colleague's login.
        wrong = Certificate.objects.filter(course=echo1).exclude(user=worker).order_by("id").last()
        if wrong is not None:
            certificate_revoke(
                certificate=wrong,
                actor=hue_staff,
                reason="Điểm danh do người khác đăng nhập hộ; học viên sẽ học lại đợt sau.",
            )
    say(
        f"{made} courses, {Enrolment.objects.count()} enrolments, "
        f"{CmeCredit.objects.count()} credits, {len(closed)} teaching cases"
    )
    return made
