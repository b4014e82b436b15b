"""A facility head nominates staff, reads their standing and checks the activities they
declare; the course's pre/post test and the sessions' evaluations; materials; teaching cases
presented in a session earning their presenter tiết."""

import io
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from PIL import Image

from caunoi.accounts.models import User
from caunoi.audit.models import AuditEvent
from caunoi.network.models import Membership, Profession, Role, Specialty
from caunoi.notifications.models import Notification
from caunoi.training.models import (
    ActivityType,
    AssessmentAttempt,
    CaseStatus,
    CmeCredit,
    CourseFormat,
    CourseMaterial,
    Enrolment,
    EnrolmentStatus,
    SessionEvaluation,
    SessionMode,
    TeachingCase,
)
from caunoi.training.selectors import (
    cme_ledger,
    declarations_to_check,
    session_results,
    staff_standing,
)
from caunoi.training.services import (
    CourseInput,
    DeclarationInput,
    QuestionInput,
    SessionInput,
    assessment_take,
    cme_credit_check,
    cme_credit_declare,
    course_enrol,
    course_nominate,
    course_publish,
    material_add,
    session_attendance_compute,
    session_case_add,
    session_evaluate,
)

pytestmark = pytest.mark.django_db

QUESTIONS = [
    QuestionInput("Huyết áp mục tiêu ở người < 65 tuổi?", ["< 140/90", "< 160/100", "< 120/60"], 0),
    QuestionInput("Thuốc đầu tay?", ["Lợi tiểu thiazide", "Corticoid"], 0),
    QuestionInput("Đo lại sau bao lâu?", ["1 tháng", "1 năm", "5 năm"], 0),
    QuestionInput("Dấu hiệu nguy hiểm?", ["Đau ngực", "Ngứa"], 0),
]


def _course(centre, specialist, *, capacity=30, starts_in=timedelta(days=3), professions=()):
    start = timezone.now() + starts_in
    return course_publish(
        actor=specialist,
        centre=centre,
        data=CourseInput(
            title_vi="Tăng huyết áp ở tuyến xã",
            tiet=Decimal(8),
            capacity=capacity,
            format=CourseFormat.LIVE_ONLINE,
            specialty=Specialty.objects.get(code="internal-medicine"),
            audience_professions=list(professions),
            sessions=[
                SessionInput("Buổi 1", start, start + timedelta(hours=2), SessionMode.ROOM),
                SessionInput(
                    "Buổi 2",
                    start + timedelta(days=7),
                    start + timedelta(days=7, hours=2),
                    SessionMode.ROOM,
                ),
            ],
            questions=QUESTIONS,
            material_links=[("Phác đồ THA 2024", "https://example.org/tha.pdf")],
        ),
    )[0]


@pytest.fixture
def head(worker):
    """The head of `worker`'s station (trưởng trạm)."""
    station = worker.memberships.get(role=Role.WORKER).facility
    user = User.objects.create_user(username="truongtram", full_name="Hoàng Văn Trưởng")
    Membership.objects.create(
        user=user,
        facility=station,
        role=Role.WORKER,
        profession=Profession.DOCTOR,
        is_head=True,
    )
    return user


def _pdf() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buf, format="PDF")
    return buf.getvalue()


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, format="JPEG")
    return buf.getvalue()


# --- nomination ---------------------------------------------------------------------------


def test_a_head_nominates_their_staff_who_is_told_and_the_place_is_theirs(
    centre, specialist, head, worker
):
    course = _course(centre, specialist)
    enrolment, created = course_nominate(course=course, learner=worker, actor=head)
    assert created
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert enrolment.user == worker
    assert enrolment.nominated_by == head
    told = Notification.objects.get(user=worker, message="training.nominated")
    assert told.params["head"] == "Hoàng Văn Trưởng"
    # Nominating again, or the learner enrolling themselves, keeps the one place.
    assert course_nominate(course=course, learner=worker, actor=head)[1] is False
    assert course_enrol(course=course, actor=worker)[1] is False
    assert Enrolment.objects.filter(course=course).count() == 1


def test_only_the_head_of_the_learners_facility_nominates(centre, specialist, head, worker):
    course = _course(centre, specialist)
    other_station_worker = (
        User.objects.filter(memberships__role=Role.WORKER)
        .exclude(memberships__facility=worker.memberships.get(role=Role.WORKER).facility)
        .first()
    )
    assert other_station_worker is not None
    with pytest.raises(PermissionDenied):
        course_nominate(course=course, learner=other_station_worker, actor=head)
    with pytest.raises(PermissionDenied):  # a colleague who is not the head
        course_nominate(course=course, learner=head, actor=worker)
    assert not Enrolment.objects.filter(course=course).exists()


def test_a_nomination_to_a_full_course_is_the_waiting_list(centre, specialist, head, worker):
    course = _course(centre, specialist, capacity=1)
    course_enrol(course=course, actor=head)
    enrolment, _ = course_nominate(course=course, learner=worker, actor=head)
    assert enrolment.status == EnrolmentStatus.WAITLISTED
    assert Notification.objects.filter(
        user=worker, message="training.nominated_waitlisted"
    ).exists()


def test_the_head_nominates_from_the_course_page_and_by_the_api(
    centre, specialist, head, worker, login, api_client
):
    course = _course(centre, specialist)
    page = login(head).get(course.get_absolute_url())
    assert page.status_code == 200
    assert worker.full_name in page.content.decode()  # offered in the nomination list
    login(head).post(
        f"/training/courses/{course.public_id}/nominate/", {"learner": worker.public_id}
    )
    assert Enrolment.objects.get(course=course, user=worker).nominated_by == head

    other = _course(centre, specialist)
    answer = api_client(head).post(
        f"/api/courses/{other.public_id}/enrol?worker={worker.public_id}"
    )
    assert answer.status_code == 201
    assert answer.json()["status"] == "enrolled"
    assert Enrolment.objects.get(course=other, user=worker).nominated_by == head
    # Someone who heads nothing gets 404 for another person's id, and nothing changes.
    third = _course(centre, specialist)
    refused = api_client(worker).post(
        f"/api/courses/{third.public_id}/enrol?worker={head.public_id}"
    )
    assert refused.status_code == 404
    assert not Enrolment.objects.filter(course=third).exists()


# --- the head's view and declared activities ------------------------------------------------


def test_the_head_sees_staff_standing_and_ledgers_but_not_scores_and_others_get_404(
    centre, specialist, head, worker, login, api_client
):
    CmeCredit.objects.create(
        user=worker,
        activity_type=ActivityType.COURSE,
        title="Khóa cũ",
        provider="BV",
        tiet=Decimal(30),
        earned_on=timezone.localdate() - timedelta(days=100),
        source="platform",
    )
    rows = staff_standing(head)
    mine = next(r for r in rows if r.user == worker)
    assert mine.status.window_total == Decimal(30)
    assert head not in [r.user for r in rows]  # not their own row
    page = login(head).get("/training/staff/")
    assert page.status_code == 200
    assert worker.full_name in page.content.decode()
    ledger_page = login(head).get(f"/training/staff/{worker.public_id}/")
    assert ledger_page.status_code == 200
    assert "Khóa cũ" in ledger_page.content.decode()
    assert AuditEvent.objects.filter(
        purpose="CME ledger of staff", object_id=str(worker.public_id)
    ).exists()
    api = api_client(head).get(f"/api/cme/ledger?worker={worker.public_id}")
    assert api.status_code == 200
    assert api.json()["window_total"] == "30.0"
    # Not a head: the page and another's ledger are 404.
    assert login(worker).get("/training/staff/").status_code == 404
    assert login(worker).get(f"/training/staff/{head.public_id}/").status_code == 404
    assert api_client(worker).get(f"/api/cme/ledger?worker={head.public_id}").status_code == 404


def _declaration(**kw):
    fields: dict[str, Any] = {
        "activity_type": ActivityType.CONFERENCE,
        "title": "Hội nghị Nội khoa miền Trung",
        "provider": "Hội Nội khoa Việt Nam",
        "tiet": Decimal(12),
        "earned_on": timezone.localdate() - timedelta(days=30),
        "evidence": _pdf(),
        "evidence_name": "chung-nhan.pdf",
    }
    fields.update(kw)
    return DeclarationInput(**fields)


def test_a_declared_activity_counts_only_once_the_head_accepts_it(head, worker):
    key = uuid.uuid4()
    credit, created = cme_credit_declare(actor=worker, data=_declaration(), client_id=key)
    again, created_again = cme_credit_declare(actor=worker, data=_declaration(), client_id=key)
    assert (created, created_again, again.pk) == (True, False, credit.pk)
    assert credit.evidence_type == "application/pdf"
    assert cme_ledger(worker).status.window_total == 0
    assert credit in cme_ledger(worker).pending
    assert Notification.objects.filter(user=head, message="training.declared").exists()
    assert list(declarations_to_check(head)) == [credit]

    cme_credit_check(credit=credit, actor=head, accept=True)
    assert cme_ledger(worker).status.window_total == Decimal(12)
    assert not declarations_to_check(head).exists()
    with pytest.raises(ValidationError):  # checked once
        cme_credit_check(credit=credit, actor=head, accept=False, note="Sai ngày tháng")
    assert Notification.objects.filter(user=worker, message="training.declaration_checked").exists()


def test_a_declined_activity_needs_a_reason_and_never_counts(head, worker):
    credit, _ = cme_credit_declare(actor=worker, data=_declaration())
    with pytest.raises(ValidationError):
        cme_credit_check(credit=credit, actor=head, accept=False, note="")
    credit.refresh_from_db()
    assert credit.awaiting_check
    cme_credit_check(credit=credit, actor=head, accept=False, note="Giấy chứng nhận không rõ")
    credit.refresh_from_db()
    assert credit.declined_at is not None
    assert credit.review_note == "Giấy chứng nhận không rõ"
    assert cme_ledger(worker).status.window_total == 0


def test_a_worker_cannot_check_their_own_or_a_colleagues_declaration(head, worker):
    credit, _ = cme_credit_declare(actor=head, data=_declaration())
    with pytest.raises(PermissionDenied):
        cme_credit_check(credit=credit, actor=head, accept=True)
    with pytest.raises(PermissionDenied):
        cme_credit_check(credit=credit, actor=worker, accept=True)
    credit.refresh_from_db()
    assert credit.verified_at is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"evidence": b"%PDF-1.4 not really"}, "evidence"),
        ({"evidence": b"MZ\x90\x00 an executable"}, "evidence"),
        ({"tiet": Decimal(0)}, "tiet"),
        ({"tiet": Decimal(250)}, "tiet"),
        ({"earned_on": date.today() + timedelta(days=3)}, "earned_on"),
        ({"title": "  "}, "title"),
    ],
)
def test_a_bad_declaration_is_refused_with_a_message_and_records_nothing(worker, change, field):
    with pytest.raises(ValidationError) as refused:
        cme_credit_declare(actor=worker, data=_declaration(**change))
    assert field in refused.value.message_dict
    assert not CmeCredit.objects.filter(user=worker).exists()


def test_declaring_from_the_ledger_page_and_the_evidence_stays_private(
    head, worker, specialist, login
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    answer = login(worker).post(
        "/training/ledger/",
        {
            "client_id": str(uuid.uuid4()),
            "activity_type": "conference",
            "title": "Hội thảo đái tháo đường",
            "provider": "Sở Y tế",
            "tiet": "6,5",
            "earned_on": (timezone.localdate() - timedelta(days=3)).isoformat(),
            "evidence": SimpleUploadedFile("scan.jpg", _jpeg(), content_type="image/jpeg"),
        },
    )
    assert answer.status_code == 302
    credit = CmeCredit.objects.get(user=worker)
    assert credit.tiet == Decimal("6.5")
    assert credit.source == "self_declared"
    url = f"/training/declarations/{credit.public_id}/evidence/"
    assert login(worker).get(url).status_code == 200
    assert login(head).get(url)["Content-Type"] == "image/jpeg"
    assert login(specialist).get(url).status_code == 404
    login(head).post(f"/training/declarations/{credit.public_id}/check/", {"decision": "accept"})
    credit.refresh_from_db()
    assert credit.verified_at is not None
    assert credit.reviewed_by == head


# --- materials -------------------------------------------------------------------------------


def test_materials_reach_learners_and_organisers_only(centre, specialist, worker, head, login):
    course = _course(centre, specialist)
    pdf = material_add(course=course, actor=specialist, title="Slide buổi 1", data=_pdf())
    assert pdf.content_type == "application/pdf"
    with pytest.raises(ValidationError):
        material_add(course=course, actor=specialist, title="Hỏng", data=b"<html>not a pdf</html>")
    with pytest.raises(ValidationError):  # both or neither
        material_add(course=course, actor=specialist, title="x", url="https://a.vn", data=_pdf())
    with pytest.raises(PermissionDenied):
        material_add(course=course, actor=worker, title="x", url="https://a.vn")
    assert CourseMaterial.objects.filter(course=course).count() == 2  # the link + the PDF
    url = f"/training/materials/{pdf.public_id}/"
    assert login(worker).get(url).status_code == 404  # no place on the course yet
    course_enrol(course=course, actor=worker)
    opened = login(worker).get(url)
    assert opened.status_code == 200
    assert opened["Content-Type"] == "application/pdf"
    link = course.materials.get(url__startswith="https://")
    followed = login(worker).get(f"/training/materials/{link.public_id}/")
    assert followed.status_code == 302
    assert followed["Location"] == "https://example.org/tha.pdf"
    assert login(specialist).get(url).status_code == 200
    assert login(head).get(url).status_code == 404


# --- the pre/post test and the evaluation ----------------------------------------------------


def test_pre_and_post_test_scores_are_kept_once_per_learner_and_averaged_for_organisers(
    centre, specialist, worker
):
    course = _course(centre, specialist)
    enrolment, _ = course_enrol(course=course, actor=worker)
    first, last = list(course.sessions.order_by("starts_at"))
    attempt, created = assessment_take(
        enrolment=enrolment, actor=worker, kind="pre", answers=[0, 1, None, 1]
    )
    assert created
    assert (attempt.correct, attempt.total, attempt.score) == (1, 4, Decimal("25.0"))
    assert attempt.session == first
    # Again: the first answers stand.
    again, created_again = assessment_take(
        enrolment=enrolment, actor=worker, kind="pre", answers=[0, 0, 0, 0]
    )
    assert (created_again, again.score) == (False, Decimal("25.0"))
    with pytest.raises(ValidationError):  # the post-test is not open before the last session
        assessment_take(enrolment=enrolment, actor=worker, kind="post", answers=[0, 0, 0, 0])
    post, _ = assessment_take(
        enrolment=enrolment,
        actor=worker,
        kind="post",
        answers=[0, 0, 0, 1],
        now=last.starts_at + timedelta(minutes=30),
    )
    assert post.score == Decimal("75.0")
    assert post.session == last
    assert {a.kind: a.score for a in enrolment.attempts.all()} == {
        "pre": Decimal("25.0"),
        "post": Decimal("75.0"),
    }
    assert session_results(first).pre_mean == Decimal("25.0")
    assert session_results(last).post_mean == Decimal("75.0")
    other, _ = course_enrol(course=course, actor=specialist)
    with pytest.raises(ValidationError):  # the post-test closes 14 days after the last session
        assessment_take(
            enrolment=other,
            actor=specialist,
            kind="post",
            answers=[0, 0, 0, 0],
            now=last.ends_at + timedelta(days=15),
        )


@pytest.mark.parametrize("answers", [[0, 0, 0], [0, 0, 0, 7], [0, 0, 0, 0, 0], [-1, 0, 0, 0]])
def test_answers_that_do_not_fit_the_questions_are_refused(centre, specialist, worker, answers):
    course = _course(centre, specialist)
    enrolment, _ = course_enrol(course=course, actor=worker)
    with pytest.raises(ValidationError):
        assessment_take(enrolment=enrolment, actor=worker, kind="pre", answers=answers)
    assert not AssessmentAttempt.objects.exists()


def test_a_bad_test_is_refused_when_publishing(centre, specialist):
    start = timezone.now() + timedelta(days=2)
    with pytest.raises(ValidationError) as refused:
        course_publish(
            actor=specialist,
            centre=centre,
            data=CourseInput(
                title_vi="Khóa có câu hỏi hỏng",
                tiet=Decimal(2),
                capacity=5,
                format=CourseFormat.LIVE_ONLINE,
                sessions=[SessionInput("1", start, start + timedelta(hours=1), SessionMode.ROOM)],
                questions=[QuestionInput("Chỉ một lựa chọn?", ["có"], 0)],
            ),
        )
    assert "test" in refused.value.message_dict


def test_the_learner_takes_the_test_on_its_page(centre, specialist, worker, login):
    course = _course(centre, specialist)
    course_enrol(course=course, actor=worker)
    client = login(worker)
    page = client.get(f"/training/courses/{course.public_id}/test/pre/")
    assert "Huyết áp mục tiêu" in page.content.decode()
    client.post(
        f"/training/courses/{course.public_id}/test/pre/", {"q1": "0", "q2": "0", "q3": "2"}
    )
    attempt = AssessmentAttempt.objects.get(enrolment__user=worker)
    assert (attempt.correct, attempt.answers) == (2, [0, 0, 2, None])
    shown = client.get(f"/training/courses/{course.public_id}/test/pre/").content.decode()
    assert "50%" in shown
    assert client.get(f"/training/courses/{course.public_id}/test/later/").status_code == 404


def test_evaluations_once_per_learner_after_the_session_started_shown_without_names(
    centre, specialist, worker, login
):
    course = _course(centre, specialist, starts_in=timedelta(hours=-1))
    course_enrol(course=course, actor=worker)
    first, last = list(course.sessions.order_by("starts_at"))
    with pytest.raises(ValidationError):  # the second has not started
        session_evaluate(session=last, actor=worker, rating=4, relevant=True)
    with pytest.raises(PermissionDenied):
        session_evaluate(session=first, actor=specialist, rating=5, relevant=True)
    with pytest.raises(ValidationError):
        session_evaluate(session=first, actor=worker, rating=9, relevant=True)
    _done, created = session_evaluate(
        session=first, actor=worker, rating=4, relevant=False, comment="Cần thêm ca lâm sàng"
    )
    assert created
    assert not session_evaluate(session=first, actor=worker, rating=1, relevant=True)[1]
    assert SessionEvaluation.objects.get().rating == 4
    results = session_results(first)
    assert (results.evaluations, results.rating_mean, results.relevant_share) == (
        1,
        Decimal("4.0"),
        0,
    )
    page = login(specialist).get(first.get_absolute_url()).content.decode()
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title  # the page's title is the session's, not a section of the page
    assert first.title in title
    assert "Cần thêm ca lâm sàng" in page
    assert worker.full_name not in page.split("Cần thêm")[1]


# --- cases presented ------------------------------------------------------------------------


@pytest.fixture
def closed_consult(worker, specialist):
    from caunoi.codes.models import IcdCode
    from caunoi.consults.services import (
        ConsultationInput,
        advice_record,
        consultation_claim,
        consultation_close,
        consultation_submit,
    )
    from caunoi.consults.tests.factories import internal_medicine, summary
    from caunoi.patients.tests.factories import make_patient

    c = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=make_patient(worker, name="Vàng Thị Say"),
            specialty=internal_medicine(),
            urgency="routine",
            summary=summary(reason="Huyết áp 170/100 mmHg, đau đầu"),
        ),
    )[0]
    consultation_claim(consultation=c, actor=specialist)
    c.refresh_from_db()
    advice_record(
        consultation=c,
        actor=specialist,
        advice="Amlodipin 5 mg mỗi sáng; đo lại sau 2 tuần.",
        outcome="manage_locally",
        diagnoses=[IcdCode.objects.get(code="I10")],
    )
    c.refresh_from_db()
    consultation_close(consultation=c, actor=worker, action_taken="Điều trị tại trạm.")
    c.refresh_from_db()
    return c


@pytest.fixture
def approved_case(closed_consult, specialist, coordinator):
    from caunoi.training.services import teaching_case_propose, teaching_case_review

    case, _ = teaching_case_propose(consultation=closed_consult, actor=specialist)
    return teaching_case_review(
        case=case,
        actor=coordinator,
        approve=True,
        confirmed_images=[i.public_id for i in case.images.all()],
    )


def test_a_presented_case_earns_its_presenter_one_tiet_of_teaching_once(
    centre, specialist, worker, approved_case
):
    course = _course(centre, specialist, starts_in=timedelta(hours=-3))
    course_enrol(course=course, actor=worker)
    first = course.sessions.order_by("starts_at").first()
    assert first is not None
    assert first.is_over
    with pytest.raises(ValidationError):  # the session is over: too late to plan
        session_case_add(session=first, case=approved_case, presenter=worker, actor=specialist)
    second = course.sessions.order_by("starts_at").last()
    row, created = session_case_add(
        session=second, case=approved_case, presenter=specialist, actor=specialist
    )
    assert created
    # The session ends; attendance is computed (twice): one credit for the organiser presenting.
    session_attendance_compute(session=second, now=second.ends_at + timedelta(minutes=1))
    session_attendance_compute(session=second, now=second.ends_at + timedelta(minutes=2))
    credits = CmeCredit.objects.filter(user=specialist, presentation=row)
    assert credits.count() == 1
    assert (credits[0].activity_type, credits[0].tiet) == (ActivityType.TEACHING, Decimal(1))


def test_a_learner_who_did_not_attend_earns_nothing_for_presenting(
    centre, specialist, worker, approved_case
):
    course = _course(centre, specialist)
    course_enrol(course=course, actor=worker)
    session = course.sessions.order_by("starts_at").first()
    row, _ = session_case_add(
        session=session, case=approved_case, presenter=worker, actor=specialist
    )
    session_attendance_compute(session=session, now=session.ends_at + timedelta(minutes=1))
    assert not CmeCredit.objects.filter(presentation=row).exists()


def test_only_approved_cases_and_only_organisers_plan_them(
    centre, specialist, worker, closed_consult
):
    from caunoi.training.services import teaching_case_propose

    case, _ = teaching_case_propose(consultation=closed_consult, actor=specialist)
    assert case.status == CaseStatus.PROPOSED
    course = _course(centre, specialist)
    session = course.sessions.first()
    with pytest.raises(ValidationError):
        session_case_add(session=session, case=case, presenter=specialist, actor=specialist)
    TeachingCase.objects.filter(pk=case.pk).update(status=CaseStatus.APPROVED)
    case.refresh_from_db()
    with pytest.raises(PermissionDenied):
        session_case_add(session=session, case=case, presenter=worker, actor=worker)
    with pytest.raises(ValidationError):  # the presenter is neither a learner nor an organiser
        session_case_add(session=session, case=case, presenter=worker, actor=specialist)
    assert not session.cases.exists()


def test_a_course_for_other_technical_levels_is_not_offered_nor_open_to_a_station(
    centre, specialist, worker, head
):
    from caunoi.training.selectors import course_catalogue

    start = timezone.now() + timedelta(days=4)
    course, _ = course_publish(
        actor=specialist,
        centre=centre,
        data=CourseInput(
            title_vi="Can thiệp mạch vành",
            tiet=Decimal(40),
            capacity=10,
            format=CourseFormat.IN_PERSON,
            audience_levels=["specialised"],
            sessions=[SessionInput("1", start, start + timedelta(hours=3), SessionMode.IN_PERSON)],
        ),
    )
    assert course.levels == ["specialised"]
    station = worker.memberships.get(role=Role.WORKER).facility
    assert station.level != "specialised"
    assert course not in course_catalogue(worker, for_me=True)
    assert course in course_catalogue(worker)  # found when not filtering for oneself
    with pytest.raises(ValidationError):
        course_enrol(course=course, actor=worker)
    with pytest.raises(ValidationError):
        course_nominate(course=course, learner=worker, actor=head)
    assert not Enrolment.objects.filter(course=course).exists()


def test_organisers_write_the_test_as_text_until_a_learner_has_taken_it(
    centre, specialist, worker, login
):
    from caunoi.training.models import AssessmentQuestion

    course = _course(centre, specialist)
    url = f"/training/courses/{course.public_id}/test/edit/"
    assert login(worker).get(url).status_code == 404
    page = login(specialist).get(url).content.decode()
    assert "* &lt; 140/90" in page  # the stored questions, as text, the right answer starred
    text = (
        "Dấu hiệu nguy hiểm ở trẻ?\n* Co giật\nHo nhẹ\n\n\nSốt bao nhiêu là cao?\n38 độ\n* 39 độ\n"
    )
    login(specialist).post(url, {"questions": text})
    stored = [
        (q.text, q.choices, q.answer) for q in AssessmentQuestion.objects.filter(course=course)
    ]
    assert stored == [
        ("Dấu hiệu nguy hiểm ở trẻ?", ["Co giật", "Ho nhẹ"], 0),
        ("Sốt bao nhiêu là cao?", ["38 độ", "39 độ"], 1),
    ]
    # No answer marked right: refused, the questions stay as they were.
    login(specialist).post(url, {"questions": "Câu hỏi?\nA\nB"})
    assert AssessmentQuestion.objects.filter(course=course).count() == 2
    enrolment, _ = course_enrol(course=course, actor=worker)
    assessment_take(enrolment=enrolment, actor=worker, kind="pre", answers=[0, 1])
    login(specialist).post(url, {"questions": "Câu mới?\n* A\nB"})
    assert AssessmentQuestion.objects.filter(course=course).count() == 2
