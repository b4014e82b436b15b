from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caunoi.accounts.http import AuthedRequest
from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import origin_of
from caunoi.audit.services import audit_record
from caunoi.consults.access import access_consultation
from caunoi.core.access import get_or_404
from caunoi.core.actions import guarded_action, run_guarded, show_refusal
from caunoi.network.access import user_scope
from caunoi.network.models import Facility, Membership
from caunoi.training.access import (
    ORGANISER_ROLES,
    access_case,
    access_course,
    access_organised_session,
    access_session,
    access_staff_member,
    audience_fits,
    can_organise,
    can_review_case,
    headed_facility_ids,
    heads_staff,
    my_enrolments,
    staff_memberships,
    visible_cases,
)
from caunoi.training.certificates import certificate_pdf, public_jwk, verify
from caunoi.training.forms import (
    CatalogueFilterForm,
    CheckForm,
    CorrectAttendanceForm,
    CredentialForm,
    DeclarationForm,
    EvaluationForm,
    MaterialForm,
    NominateForm,
    QuestionsForm,
    RevokeForm,
    SessionCaseForm,
    format_questions,
    parse_questions,
)
from caunoi.training.models import (
    HOLDING_PLACE,
    AssessmentAttempt,
    AssessmentKind,
    Attendance,
    CaseStatus,
    Certificate,
    CmeCredit,
    CmeProfile,
    Course,
    CourseMaterial,
    CreditSource,
    Enrolment,
    EnrolmentStatus,
    SessionEvaluation,
    SessionMode,
    TeachingCase,
    TrainingSession,
)
from caunoi.training.selectors import (
    cme_compliance,
    cme_ledger,
    course_catalogue,
    declarations_to_check,
    session_results,
    staff_standing,
)
from caunoi.training.services import (
    CaseEdits,
    DeclarationInput,
    QuestionInput,
    assessment_take,
    assessment_window,
    attendance_check_in,
    attendance_correct,
    certificate_revoke,
    checkin_code,
    cme_credit_check,
    cme_credit_declare,
    course_enrol,
    course_nominate,
    course_test_set,
    enrolment_cancel,
    material_add,
    session_attendance_compute,
    session_case_add,
    session_evaluate,
    session_room_enter,
    session_room_open,
    teaching_case_propose,
    teaching_case_review,
)

PAGE_SIZE = 20


@dataclass(frozen=True)
class CourseRow:
    course: Course
    my_status: str
    places_left: int


@login_required
def catalogue(request: AuthedRequest) -> HttpResponse:
    form = CatalogueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    specialty = filters.get("specialty")
    courses = course_catalogue(
        request.user,
        q=filters.get("q", ""),
        specialty=specialty.code if specialty else "",
        format=filters.get("format", ""),
        for_me=filters.get("for_me", False),
        upcoming=not filters.get("past", False),
    )
    page = Paginator(courses, PAGE_SIZE).get_page(request.GET.get("page"))
    mine = {
        e.course_id: e.get_status_display()
        for e in my_enrolments(request.user).filter(course_id__in=[c.pk for c in page.object_list])
    }
    rows = [
        CourseRow(c, mine.get(c.pk, ""), max(0, c.capacity - getattr(c, "taken", 0)))
        for c in page.object_list
    ]
    query = urlencode([(k, str(v)) for k, v in request.GET.items() if k != "page" and v])
    return render(
        request,
        "training/catalogue.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query,
            "head": bool(headed_facility_ids(request.user)),
        },
    )


def _nominable(user: Any, course: Course) -> list[tuple[str, str]]:
    """The head's staff who fit the course and hold no place on it yet."""
    placed = set(
        course.enrolments.exclude(status=EnrolmentStatus.CANCELLED).values_list(
            "user_id", flat=True
        )
    )
    seen: dict[int, tuple[str, str]] = {}
    for m in staff_memberships(user).order_by("user__full_name", "id"):
        if m.user_id in placed or m.user_id in seen:
            continue
        if course.professions and m.profession not in course.professions:
            continue
        seen[m.user_id] = (
            str(m.user.public_id),
            f"{m.user.full_name} · {m.get_profession_display()}",
        )
    return list(seen.values())


@dataclass(frozen=True)
class TestOffer:
    kind: str
    label: str
    open: bool
    attempt: AssessmentAttempt | None


@login_required
def course_detail(request: AuthedRequest, public_id: str) -> HttpResponse:
    course = access_course(request.user, public_id)
    enrolment = my_enrolments(request.user).filter(course=course).first()
    taken = course.enrolments.filter(status__in=HOLDING_PLACE).count()
    waiting = course.enrolments.filter(status=EnrolmentStatus.WAITLISTED).count()
    organiser = can_organise(request.user, course.centre)
    holds_place = enrolment is not None and enrolment.status in HOLDING_PLACE
    questions = course.questions.count()
    tests: list[TestOffer] = []
    if holds_place and questions:
        assert enrolment is not None
        attempts = {a.kind: a for a in enrolment.attempts.all()}
        tests = [
            TestOffer(
                kind, str(label), assessment_window(course, kind) is not None, attempts.get(kind)
            )
            for kind, label in AssessmentKind.choices
        ]
    staff = _nominable(request.user, course) if headed_facility_ids(request.user) else []
    return render(
        request,
        "training/course_detail.html",
        {
            "course": course,
            "sessions": list(course.sessions.all()),
            "enrolment": enrolment,
            "active": enrolment is not None and enrolment.status != EnrolmentStatus.CANCELLED,
            "fits": audience_fits(request.user, course),
            "taken": taken,
            "places_left": max(0, course.capacity - taken),
            "waiting": waiting,
            "organiser": organiser,
            "provinces": list(course.audience_provinces.all()),
            "materials": list(course.materials.all()) if holds_place or organiser else [],
            "material_form": MaterialForm() if organiser else None,
            "questions": questions,
            "tests": tests,
            "nominate_form": NominateForm(staff=staff) if staff else None,
            "head": bool(headed_facility_ids(request.user)),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
@guarded_action(access_course)
def course_nominate_view(request: AuthedRequest, course: Course) -> str | None:
    learner = access_staff_member(request.user, request.POST.get("learner", "")[:40] or "-")
    enrolment, created = course_nominate(
        course=course, learner=learner, actor=request.user, origin=origin_of(request)
    )
    if not created:
        return _("%(name)s already holds a place on this course.") % {"name": learner.full_name}
    if enrolment.status == EnrolmentStatus.WAITLISTED:
        return _("%(name)s is nominated, on the waiting list (the course is full).") % {
            "name": learner.full_name
        }
    return _("%(name)s is nominated and enrolled; they are told.") % {"name": learner.full_name}


@login_required
@require_POST
@guarded_action(access_course)
def material_add_view(request: AuthedRequest, course: Course) -> str | None:
    form = MaterialForm(request.POST, request.FILES)
    if not form.is_valid():
        raise ValidationError([m for errors in form.errors.values() for m in errors])
    upload = form.cleaned_data.get("file")
    material_add(
        course=course,
        actor=request.user,
        title=form.cleaned_data["title"],
        url=form.cleaned_data.get("url") or "",
        data=upload.read() if upload else None,
        filename=upload.name if upload else "",
        origin=origin_of(request),
    )
    return _("The material is added; the course's learners can open it.")


@login_required
def material_open(request: AuthedRequest, public_id: str) -> HttpResponseBase:
    """A material, for the course's learners (with a place) and its organisers; else 404."""
    material = get_or_404(
        CourseMaterial.objects.select_related("course__centre"), public_id=public_id
    )
    course = material.course
    learner = my_enrolments(request.user).filter(course=course, status__in=HOLDING_PLACE).exists()
    if not learner and not can_organise(request.user, course.centre):
        raise Http404
    if material.url:
        return redirect(material.url)
    response = FileResponse(material.file.open("rb"), content_type=material.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def course_test(request: AuthedRequest, public_id: str, kind: str) -> HttpResponse:
    """The course's test, before (pre) or after (post): one question per group of choices,
    scored when sent; the learner sees their score, and after the post-test the answers."""
    course = access_course(request.user, public_id)
    enrolment = get_or_404(
        my_enrolments(request.user).filter(course=course, status__in=HOLDING_PLACE)
    )
    if kind not in AssessmentKind.values:
        raise Http404
    questions = list(course.questions.all())
    if not questions:
        raise Http404
    attempt = enrolment.attempts.filter(kind=kind).first()
    if request.method == "POST" and attempt is None:
        answers: list[int | None] = []
        for q in questions:
            raw = request.POST.get(f"q{q.position}", "")
            answers.append(int(raw) if raw.isdigit() and len(raw) < 3 else None)

        def step() -> str:
            done, _created = assessment_take(
                enrolment=enrolment,
                actor=request.user,
                kind=kind,
                answers=answers,
                origin=origin_of(request),
            )
            return _("Your score: %(score)s%%.") % {"score": formats.localize(done.score)}

        return run_guarded(
            request,
            step,
            reverse("training:test", kwargs={"public_id": course.public_id, "kind": kind}),
        )
    return render(
        request,
        "training/course_test.html",
        {
            "course": course,
            "kind": kind,
            "label": AssessmentKind(kind).label,
            "questions": questions,
            "attempt": attempt,
            "open": assessment_window(course, kind) is not None,
            "show_answers": attempt is not None and kind == AssessmentKind.POST,
        },
    )


@login_required
def session_evaluate_view(request: AuthedRequest, public_id: str) -> HttpResponse:
    """A learner's short evaluation of a session (once; shown to organisers without names)."""
    session = access_session(request.user, public_id)
    done = SessionEvaluation.objects.filter(session=session, user=request.user).first()
    form = EvaluationForm(request.POST or None)
    if request.method == "POST" and done is None and form.is_valid():

        def step() -> str:
            session_evaluate(
                session=session,
                actor=request.user,
                rating=form.cleaned_data["rating"],
                relevant=form.cleaned_data["relevant"],
                comment=form.cleaned_data["comment"],
                origin=origin_of(request),
            )
            return _("Thank you: your evaluation is kept.")

        return run_guarded(request, step, session.course.get_absolute_url())
    return render(
        request,
        "training/session_evaluate.html",
        {
            "session": session,
            "course": session.course,
            "form": form,
            "done": done,
            "started": session.starts_at <= timezone.now(),
        },
    )


@login_required
@require_POST
@guarded_action(access_course)
def course_enrol_view(request: AuthedRequest, course: Course) -> str | None:
    enrolment, created = course_enrol(course=course, actor=request.user, origin=origin_of(request))
    if not created:
        return _("You are already on this course.")
    if enrolment.status == EnrolmentStatus.WAITLISTED:
        return _("The course is full: you are on the waiting list.")
    return _("You are enrolled. A reminder will come before each session.")


@login_required
@require_POST
@guarded_action(access_course)
def enrolment_cancel_view(request: AuthedRequest, course: Course) -> str | None:
    enrolment = my_enrolments(request.user).filter(course=course).first()
    if enrolment is None:
        return _("You are not on this course.")
    enrolment_cancel(enrolment=enrolment, actor=request.user, origin=origin_of(request))
    return _("Your enrolment is cancelled.")


@login_required
def ledger(request: AuthedRequest) -> HttpResponse:
    form = DeclarationForm(initial={"client_id": uuid.uuid4()})
    if request.method == "POST":
        form = DeclarationForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data

            def step() -> str:
                _credit, created = cme_credit_declare(
                    actor=request.user,
                    data=DeclarationInput(
                        activity_type=data["activity_type"],
                        title=data["title"],
                        provider=data["provider"],
                        tiet=data["tiet"],
                        earned_on=data["earned_on"],
                        evidence=data["evidence"].read(),
                        evidence_name=data["evidence"].name,
                    ),
                    client_id=data["client_id"],
                    origin=origin_of(request),
                )
                if not created:
                    return _("This activity was recorded already.")
                return _(
                    "The activity is recorded as self-declared; it counts once the head of your facility has checked it."
                )

            return run_guarded(request, step, reverse("training:ledger") + "#declare")
    return render(
        request,
        "training/ledger.html",
        {
            "form": form,
            "ledger": cme_ledger(request.user),
            "enrolments": my_enrolments(request.user)
            .exclude(status=EnrolmentStatus.CANCELLED)
            .select_related("course__centre__facility")
            .order_by("-course__starts_on")[:50],
            "certificates": Certificate.objects.filter(user=request.user).select_related(
                "course", "credit"
            ),
        },
    )


def _my_certificate(request: AuthedRequest, public_id: str) -> Certificate:
    """The learner's own certificate, or one of a course the reader organises; else 404."""
    cert = get_or_404(
        Certificate.objects.select_related("course__centre__facility", "user", "credit"),
        public_id=public_id,
    )
    if cert.user_id != request.user.pk and not can_organise(request.user, cert.course.centre):
        raise Http404
    return cert


@login_required
def certificate_detail(request: AuthedRequest, public_id: str) -> HttpResponse:
    cert = _my_certificate(request, public_id)
    return render(
        request,
        "training/certificate_detail.html",
        {
            "cert": cert,
            "verify_url": request.build_absolute_uri(cert.get_verify_url()),
            "organiser": can_organise(request.user, cert.course.centre),
            "form": RevokeForm(),
        },
    )


@login_required
def certificate_download(request: AuthedRequest, public_id: str) -> HttpResponse:
    cert = _my_certificate(request, public_id)
    profile = CmeProfile.objects.filter(user=cert.user).first()
    licence = (
        cert.user.memberships.exclude(licence_number="")
        .values_list("licence_number", flat=True)
        .first()
    )
    body = certificate_pdf(
        cert,
        licence_number=licence or "",
        birth_date=f"{profile.birth_date:%d/%m/%Y}" if profile and profile.birth_date else "",
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="chung-nhan-{cert.number}.pdf"'
    return response


def _load_certificate(user: Any, public_id: str) -> Certificate:
    cert = get_or_404(Certificate.objects.select_related("course__centre"), public_id=public_id)
    if not can_organise(user, cert.course.centre):
        raise Http404
    return cert


@login_required
@require_POST
@guarded_action(_load_certificate)
def certificate_revoke_view(request: AuthedRequest, cert: Certificate) -> str | None:
    form = RevokeForm(request.POST)
    if not form.is_valid():
        raise ValidationError(list(form.errors["reason"]))
    certificate_revoke(
        certificate=cert,
        actor=request.user,
        reason=form.cleaned_data["reason"],
        origin=origin_of(request),
    )
    return _("The certificate is revoked: its verification page says so now.")


def certificate_keys(request: HttpRequest) -> JsonResponse:
    """The public key that signs the certificates' credentials (a JSON Web Key Set)."""
    return JsonResponse({"keys": [public_jwk()]})


def certificate_verify(request: HttpRequest, number: str) -> HttpResponse:
    """Public, no sign-in: name, course, tiết, date, issuer, valid or revoked — nothing else."""
    cert = (
        Certificate.objects.select_related("course__centre__facility", "user", "credit")
        .filter(number=number.strip().upper())
        .first()
    )
    check = verify(cert.credential) if cert is not None else None
    return render(
        request,
        "training/certificate_verify.html",
        {"cert": cert, "number": number, "check": check},
        status=200 if cert is not None else 404,
    )


def certificate_verify_form(request: HttpRequest) -> HttpResponse:
    """Check a certificate by its number, or a signed credential pasted whole."""
    number = request.GET.get("number", "").strip().upper()
    if number:
        return redirect("certificate_verify", number=number)
    form = CredentialForm(request.POST or None)
    check = verify(form.cleaned_data["credential"]) if form.is_valid() else None
    return render(request, "training/certificate_verify_form.html", {"form": form, "check": check})


@login_required
def session_detail(request: AuthedRequest, public_id: str) -> HttpResponse:
    """The organisers' page of one session: its attendance as computed, corrections, and for
    an in-person session the check-in QR code (it changes every few minutes)."""
    session = access_organised_session(request.user, public_id)
    rows = list(
        Attendance.objects.filter(session=session)
        .select_related("user", "corrected_by")
        .order_by("user__full_name")
    )
    qr_svg = ""
    if session.mode == SessionMode.IN_PERSON:
        url = request.build_absolute_uri(
            reverse("training:check_in", kwargs={"public_id": session.public_id})
            + "?"
            + urlencode({"code": checkin_code(session)})
        )
        qr_svg = segno.make(url, error="m").svg_inline(scale=6, title=_("Check-in code"))
    return render(
        request,
        "training/session_detail.html",
        {
            "session": session,
            "course": session.course,
            "rows": rows,
            "present": sum(1 for r in rows if r.counts_as_present),
            "qr_svg": qr_svg,
            "form": CorrectAttendanceForm(),
            "results": session_results(session),
            "cases": list(session.cases.select_related("case", "presenter", "credit")),
            "case_form": None if session.is_over else _session_case_form(session),
        },
    )


def _session_case_form(session: TrainingSession, data: Any = None) -> SessionCaseForm | None:
    """Approved cases of the course's specialty (or all, when it has none) and who may
    present them: the course's learners and the centre's organisers."""
    cases = TeachingCase.objects.filter(status=CaseStatus.APPROVED).exclude(
        presentations__session=session
    )
    if session.course.specialty_id is not None:
        cases = cases.filter(specialty_id=session.course.specialty_id)
    case_choices = [(str(c.public_id), c.title) for c in cases.order_by("-reviewed_at")[:100]]
    if not case_choices:
        return None
    people = {
        e.user.public_id: e.user.full_name
        for e in Enrolment.objects.filter(
            course_id=session.course_id, status__in=HOLDING_PLACE
        ).select_related("user")
    }
    for m in (
        Membership.objects.active()
        .filter(facility_id=session.course.centre.facility_id, role__in=ORGANISER_ROLES)
        .select_related("user")
    ):
        people.setdefault(m.user.public_id, m.user.full_name)
    presenters = sorted(((str(k), v) for k, v in people.items()), key=lambda p: p[1])
    return SessionCaseForm(data, cases=case_choices, presenters=presenters)


@login_required
@require_POST
@guarded_action(access_organised_session)
def session_case_add_view(request: AuthedRequest, session: TrainingSession) -> str | None:
    form = _session_case_form(session, request.POST)
    if form is None or not form.is_valid():
        raise ValidationError(_("Choose an approved case and who presents it."))
    case = get_or_404(TeachingCase.objects.all(), public_id=form.cleaned_data["case"])
    presenter = get_or_404(User.objects.all(), public_id=form.cleaned_data["presenter"])
    session_case_add(
        session=session,
        case=case,
        presenter=presenter,
        actor=request.user,
        origin=origin_of(request),
    )
    return _("The case is on the session's programme; its presenter earns tiết of teaching.")


def _to_room(request: AuthedRequest, back: str, enter: Any) -> HttpResponse:
    """Run ``enter`` (opening or entering the room) and go to the room, or ``back`` with why
    not."""
    try:
        room = enter()
    except (PermissionDenied, ValidationError) as exc:
        show_refusal(request, exc)
        return redirect(back)
    return redirect(room.get_absolute_url())


@login_required
@require_POST
def session_room_open_view(request: AuthedRequest, public_id: str) -> HttpResponse:
    session = access_organised_session(request.user, public_id)
    return _to_room(
        request,
        session.get_absolute_url(),
        lambda: session_room_open(session=session, actor=request.user, origin=origin_of(request)),
    )


@login_required
@require_POST
def session_room_enter_view(request: AuthedRequest, public_id: str) -> HttpResponse:
    session = access_session(request.user, public_id)
    return _to_room(
        request,
        session.course.get_absolute_url(),
        lambda: session_room_enter(session=session, user=request.user, origin=origin_of(request)),
    )


@login_required
@require_POST
@guarded_action(access_organised_session)
def session_compute_view(request: AuthedRequest, session: TrainingSession) -> str | None:
    rows = session_attendance_compute(session=session)
    present = sum(1 for r in rows if r.counts_as_present)
    return _("Attendance computed: %(present)s of %(total)s present.") % {
        "present": present,
        "total": len(rows),
    }


@login_required
@require_POST
@guarded_action(access_organised_session)
def attendance_correct_view(
    request: AuthedRequest, session: TrainingSession, attendance_id: int
) -> str | None:
    row = get_or_404(Attendance.objects.filter(session=session), pk=attendance_id)
    form = CorrectAttendanceForm(request.POST)
    if not form.is_valid():
        raise ValidationError([m for errors in form.errors.values() for m in errors])
    attendance_correct(
        attendance=row,
        actor=request.user,
        present=form.cleaned_data["present"],
        reason=form.cleaned_data["reason"],
        origin=origin_of(request),
    )
    return _("The attendance is corrected; the reason is kept.")


@login_required
def check_in(request: AuthedRequest, public_id: str) -> HttpResponse:
    """Where the organiser's QR code leads: the learner confirms (a scan alone changes
    nothing), and is checked in if the code is still the current one."""
    session = access_session(request.user, public_id)
    code = request.GET.get("code", "") or request.POST.get("code", "")
    if request.method == "POST":

        def step() -> str:
            _interval, created = attendance_check_in(
                session=session, user=request.user, code=code, origin=origin_of(request)
            )
            if not created:
                return _("You had already checked in.")
            return _("You are checked in. Welcome!")

        return run_guarded(request, step, session.course.get_absolute_url())
    return render(request, "training/check_in.html", {"session": session, "code": code[:64]})


@login_required
def case_list(request: AuthedRequest) -> HttpResponse:
    cases = visible_cases(request.user).select_related("specialty", "hub")
    status = request.GET.get("status", "")
    if status in CaseStatus.values:
        cases = cases.filter(status=status)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "training/case_list.html",
        {"page": page, "status": status, "statuses": CaseStatus.choices},
    )


@login_required
def case_detail(request: AuthedRequest, public_id: str) -> HttpResponse:
    case = access_case(request.user, public_id)
    return render(
        request,
        "training/case_detail.html",
        {
            "case": case,
            "images": list(case.images.all()),
            "reviewer": case.status == CaseStatus.PROPOSED and can_review_case(request.user, case),
        },
    )


@login_required
def case_image(request: AuthedRequest, public_id: str, image_id: str) -> FileResponse:
    case = access_case(request.user, public_id)
    image = get_or_404(case.images.all(), public_id=image_id)
    response = FileResponse(image.file.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_POST
def case_propose(request: AuthedRequest, public_id: str) -> HttpResponse:
    consult = access_consultation(request.user, public_id)
    made: list[TeachingCase] = []

    def step() -> str:
        case, created = teaching_case_propose(
            consultation=consult, actor=request.user, origin=origin_of(request)
        )
        made.append(case)
        if not created:
            return _("This consultation was proposed already.")
        return _("The teaching case is prepared; a reviewer at the hub will check it.")

    response = run_guarded(request, step, consult.get_absolute_url())
    return redirect(made[0].get_absolute_url()) if made else response


@login_required
@require_POST
@guarded_action(access_case)
def case_review(request: AuthedRequest, case: TeachingCase) -> str | None:
    approve = request.POST.get("decision") == "approve"
    teaching_case_review(
        case=case,
        actor=request.user,
        approve=approve,
        confirmed_images=[i for i in request.POST.getlist("confirmed") if i][:50],
        edits=CaseEdits(
            presentation=request.POST.get("presentation", case.presentation)[:20000],
            question=request.POST.get("question", case.question)[:5000],
            advice=request.POST.get("advice", case.advice)[:10000],
            course_of_care=request.POST.get("course_of_care", case.course_of_care)[:5000],
        ),
        note=request.POST.get("note", ""),
        origin=origin_of(request),
    )
    if approve:
        return _("Approved: the case can be presented in training sessions.")
    return _("The case is declined; it will not be used for teaching.")


@login_required
def compliance(request: AuthedRequest) -> HttpResponse:
    """The 120-tiết rule across staff, as counts: an officer sees the facilities of their
    provinces, staff see their own facility. No names, no scores (training/README.md)."""
    scope = user_scope(request.user)
    facility_ids = set(scope.facility_ids)
    if scope.province_ids:
        facility_ids |= set(
            Facility.objects.filter(province_id__in=scope.province_ids).values_list("id", flat=True)
        )
    if not facility_ids:
        raise Http404
    rows = cme_compliance(facility_ids)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    totals = {
        "staff": sum(r.staff for r in rows),
        "on_track": sum(r.on_track for r in rows),
        "warning": sum(r.warning for r in rows),
        "short": sum(r.short for r in rows),
    }
    share = totals["on_track"] * 100 // totals["staff"] if totals["staff"] else 0
    return render(
        request,
        "training/compliance.html",
        {"page": page, "totals": totals, "share": share, "query": ""},
    )


@login_required
def staff(request: AuthedRequest) -> HttpResponse:
    """A facility head's page: their clinical staff against the 120-tiết rule (tiết and
    standing; never test scores) and the activities they declared, to check."""
    if not headed_facility_ids(request.user):
        raise Http404
    rows = staff_standing(request.user)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "training/staff.html",
        {
            "page": page,
            "count": len(rows),
            "short": sum(1 for r in rows if r.status.short_now),
            "warning": sum(1 for r in rows if r.status.warning),
            "to_check": list(declarations_to_check(request.user)[:100]),
            "form": CheckForm(),
        },
    )


@login_required
def staff_ledger(request: AuthedRequest, public_id: str) -> HttpResponse:
    """One staff member's ledger as their head reads it: the credits and the standing."""
    person = access_staff_member(request.user, public_id)
    audit_record(
        actor=request.user,
        action=AuditAction.VIEW,
        obj=person,
        purpose="CME ledger of staff",
        origin=origin_of(request),
    )
    return render(
        request,
        "training/staff_ledger.html",
        {"person": person, "ledger": cme_ledger(person)},
    )


def _declaration(user: Any, public_id: str) -> CmeCredit:
    """A declared activity: its owner, or the head of their facility; else 404."""
    credit = get_or_404(
        CmeCredit.objects.filter(source=CreditSource.SELF_DECLARED).select_related("user"),
        public_id=public_id,
    )
    if credit.user_id != user.pk and not heads_staff(user, credit.user):
        raise Http404
    return credit


@login_required
def declaration_evidence(request: AuthedRequest, public_id: str) -> FileResponse:
    credit = _declaration(request.user, public_id)
    if not credit.evidence:
        raise Http404
    response = FileResponse(credit.evidence.open("rb"), content_type=credit.evidence_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def declaration_check_view(request: AuthedRequest, public_id: str) -> HttpResponse:
    credit = _declaration(request.user, public_id)
    form = CheckForm(request.POST)

    def step() -> str:
        if not form.is_valid():
            raise ValidationError([m for errors in form.errors.values() for m in errors])
        accept = form.cleaned_data["decision"] == "accept"
        cme_credit_check(
            credit=credit,
            actor=request.user,
            accept=accept,
            note=form.cleaned_data["note"],
            origin=origin_of(request),
        )
        if accept:
            return _("Accepted: the activity counts in %(name)s's ledger.") % {
                "name": credit.user.full_name
            }
        return _("Not accepted; %(name)s is told why.") % {"name": credit.user.full_name}

    return run_guarded(request, step, reverse("training:staff"))


@login_required
def course_test_edit(request: AuthedRequest, public_id: str) -> HttpResponse:
    """The organisers write the course's test as text (``forms.parse_questions``) until the
    first learner has taken it."""
    course = access_course(request.user, public_id)
    if not can_organise(request.user, course.centre):
        raise Http404
    taken = AssessmentAttempt.objects.filter(enrolment__course=course).exists()
    stored = [(q.text, list(q.choices), q.answer) for q in course.questions.all()]
    form = QuestionsForm(request.POST or None, initial={"questions": format_questions(stored)})
    if request.method == "POST" and form.is_valid():
        parsed = parse_questions(form.cleaned_data["questions"])

        def step() -> str:
            rows = course_test_set(
                course=course,
                actor=request.user,
                questions=[
                    QuestionInput(text, answers, -1 if right is None else right)
                    for text, answers, right in parsed
                ],
                origin=origin_of(request),
            )
            return _("The test is saved: %(n)s questions.") % {"n": len(rows)}

        return run_guarded(request, step, reverse("training:test_edit", args=[course.public_id]))
    return render(
        request,
        "training/course_test_edit.html",
        {"course": course, "form": form, "taken": taken, "count": len(stored)},
    )
