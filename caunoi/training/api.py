"""Training in the JSON API: the course catalogue, a course, enrolling, the CME ledger."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.params.functions import Header  # typed, unlike ninja's shortcut
from ninja.params.functions import Path as PathParam
from pydantic import AnyHttpUrl, ConfigDict

from caunoi.accounts.api_auth import api_user
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import origin_of
from caunoi.audit.services import audit_record
from caunoi.consults.access import access_consultation
from caunoi.core.api import (
    FieldErrors,
    ListFilters,
    NoFilters,
    Pagination,
    SerializedPage,
    no_filters,
)
from caunoi.network.models import Profession, Specialty, TechnicalLevel
from caunoi.places.models import Province
from caunoi.training.access import (
    access_course,
    access_organised_session,
    access_staff_member,
    can_organise,
    my_enrolments,
    organised_centre_ids,
)
from caunoi.training.certificates import verify
from caunoi.training.models import (
    HOLDING_PLACE,
    Attendance,
    Certificate,
    Course,
    CourseFormat,
    Enrolment,
    EnrolmentStatus,
    TrainingCentre,
)
from caunoi.training.selectors import cme_ledger, course_catalogue
from caunoi.training.services import (
    CourseInput,
    QuestionInput,
    SessionInput,
    course_enrol,
    course_nominate,
    course_publish,
    teaching_case_propose,
)

router = Router(tags=["training"])


class CourseFilters(ListFilters):
    q: str = Field("", max_length=100, description="Words of the title (diacritics ignored)")
    specialty: str = Field("", max_length=40, description="A specialty code")
    format: Literal["", "live_online", "recorded", "in_person", "blended"] = ""
    for_me: bool = Field(False, description="Only courses for your profession and province")
    past: bool = Field(False, description="Include courses that have ended")


class TrainingSessionOut(Schema):
    id: UUID
    title: str
    starts_at: str
    ends_at: str
    mode: str


class CourseOut(Schema):
    id: UUID
    title: str
    title_vi: str
    title_en: str
    centre: str
    cme_provider_code: str
    specialty: str | None
    format: CourseFormat
    tiet: Decimal
    capacity: int
    places_taken: int
    starts_on: date | None
    ends_on: date | None
    for_professions: list[str]
    for_levels: list[str]
    url: str


class MaterialOut(Schema):
    title: str
    url: str = Field(description="Opens the file or follows the link (learners, organisers)")


class CourseDetailOut(CourseOut):
    description: str
    sessions: list[TrainingSessionOut]
    test_questions: int
    materials: list[MaterialOut] = Field(description="For its learners and organisers")


class EnrolmentOut(Schema):
    id: UUID
    course: UUID
    status: EnrolmentStatus


def _course_out(c: Course, taken: int) -> dict[str, object]:
    return {
        "id": c.public_id,
        "title": c.title,
        "title_vi": c.title_vi,
        "title_en": c.title_en,
        "centre": c.centre.facility.name,
        "cme_provider_code": c.centre.cme_provider_code,
        "specialty": c.specialty.code if c.specialty else None,
        "format": c.format,
        "tiet": c.tiet,
        "capacity": c.capacity,
        "places_taken": taken,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "for_professions": c.professions,
        "for_levels": c.levels,
        "url": c.get_absolute_url(),
    }


@router.get("/courses", response=list[CourseOut], summary="The course catalogue")
@paginate(Pagination)
def list_courses(request: HttpRequest, filters: Query[CourseFilters]) -> SerializedPage:
    """Published courses, by first session. `for_me`: only those meant for your profession
    and province."""
    qs = course_catalogue(
        request.user,
        q=filters.q,
        specialty=filters.specialty,
        format=filters.format,
        for_me=filters.for_me,
        upcoming=not filters.past,
    )
    return SerializedPage(qs, lambda rows: [_course_out(c, c.taken) for c in rows])


class TrainingSessionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    title: str = Field("", max_length=200)
    starts_at: datetime
    ends_at: datetime
    mode: Literal["room", "external", "in_person"] = "room"
    external_url: str = Field("", max_length=200)
    place: str = Field("", max_length=200)


class QuestionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., min_length=1, max_length=500)
    choices: list[str] = Field(..., min_length=2, max_length=6)
    answer: int = Field(..., ge=0, le=5, description="The right choice, from 0")


class MaterialLinkIn(Schema):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(..., min_length=1, max_length=200)
    url: AnyHttpUrl


class CourseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    centre: UUID | None = Field(None, description="Omit when you organise for one centre")
    title_vi: str = Field(..., min_length=3, max_length=200)
    title_en: str = Field("", max_length=200)
    description: str = Field("", max_length=5000)
    specialty: str = Field("", max_length=40, description="A specialty code")
    format: CourseFormat
    tiet: Decimal = Field(..., description="Lesson periods, 0.5 to 200")
    capacity: int = Field(..., ge=1, le=5000)
    for_professions: list[Profession] = Field(default_factory=list, max_length=12)
    for_levels: list[TechnicalLevel] = Field(default_factory=list, max_length=3)
    for_provinces: list[int] = Field(default_factory=list, max_length=34, description="Codes")
    sessions: list[TrainingSessionIn] = Field(..., min_length=1, max_length=60)
    test: list[QuestionIn] = Field(
        default_factory=list,
        max_length=40,
        description="The pre/post test: the same questions before and after the course",
    )
    materials: list[MaterialLinkIn] = Field(default_factory=list, max_length=30)


@router.post(
    "/courses",
    response={201: CourseDetailOut, 200: CourseDetailOut},
    summary="Publish a course (a training centre's staff)",
)
def publish_course(
    request: HttpRequest,
    payload: CourseIn,
    idempotency_key: UUID = Header(..., alias="Idempotency-Key"),
) -> Status[dict[str, object]]:
    """Publishes a course with its sessions for your training centre. The same
    `Idempotency-Key` again answers the course it made (200) instead of another."""
    user = api_user(request)
    centres = TrainingCentre.objects.filter(id__in=organised_centre_ids(user)).select_related(
        "facility"
    )
    if payload.centre is not None:
        centres = centres.filter(public_id=payload.centre)
    choices = list(centres[:2])
    if not choices:
        raise FieldErrors({"centre": _("You organise the courses of no training centre.")})
    if len(choices) > 1:
        raise FieldErrors({"centre": _("Say for which training centre you publish.")})
    specialty = None
    if payload.specialty:
        specialty = Specialty.objects.filter(code=payload.specialty).first()
        if specialty is None:
            raise FieldErrors({"specialty": _("Unknown specialty code.")})
    provinces = list(Province.objects.filter(code__in=payload.for_provinces))
    if len(provinces) != len(set(payload.for_provinces)):
        raise FieldErrors({"for_provinces": _("Unknown province code.")})
    course, created = course_publish(
        actor=user,
        centre=choices[0],
        client_id=idempotency_key,
        data=CourseInput(
            questions=[QuestionInput(q.text, q.choices, q.answer) for q in payload.test],
            material_links=[(m.title, str(m.url)) for m in payload.materials],
            title_vi=payload.title_vi,
            title_en=payload.title_en,
            description=payload.description,
            specialty=specialty,
            format=payload.format,
            tiet=payload.tiet,
            capacity=payload.capacity,
            audience_professions=[str(p) for p in payload.for_professions],
            audience_levels=[str(v) for v in payload.for_levels],
            audience_provinces=provinces,
            sessions=[
                SessionInput(
                    title=s.title,
                    starts_at=s.starts_at,
                    ends_at=s.ends_at,
                    mode=s.mode,
                    external_url=s.external_url,
                    place=s.place,
                )
                for s in payload.sessions
            ],
        ),
        origin=origin_of(request),
    )
    return Status(201 if created else 200, get_course(request, course.public_id))


@router.get("/courses/{course_id}", response=CourseDetailOut, summary="One course")
def get_course(
    request: HttpRequest, course_id: UUID, filters: NoFilters = no_filters()
) -> dict[str, object]:
    c = access_course(request.user, course_id)
    taken = c.enrolments.filter(status__in=HOLDING_PLACE).count()
    reads = (
        can_organise(request.user, c.centre)
        or my_enrolments(request.user).filter(course=c, status__in=HOLDING_PLACE).exists()
    )
    return {
        **_course_out(c, taken),
        "description": c.description,
        "test_questions": c.questions.count(),
        "materials": [
            {"title": m.title, "url": reverse("training:material", args=[m.public_id])}
            for m in (c.materials.all() if reads else [])
        ],
        "sessions": [
            {
                "id": s.public_id,
                "title": s.title,
                "starts_at": s.starts_at.isoformat(),
                "ends_at": s.ends_at.isoformat(),
                "mode": s.mode,
            }
            for s in c.sessions.all()
        ],
    }


def _enrolment_out(e: Enrolment) -> dict[str, object]:
    return {"id": e.public_id, "course": e.course.public_id, "status": e.status}


class EnrolFilters(NoFilters):
    worker: UUID | None = Field(
        None, description="A facility head nominating one of their staff: the person's user id"
    )


@router.post(
    "/courses/{course_id}/enrol",
    response={201: EnrolmentOut, 200: EnrolmentOut},
    summary="Enrol on a course (or join its waiting list); a head nominates staff",
)
def enrol(
    request: HttpRequest, course_id: UUID, filters: Query[EnrolFilters]
) -> Status[dict[str, object]]:
    """Takes a place while there is one, else a place on the waiting list (`status`
    says which). Enrolling again answers the place held (200) and changes nothing. With
    `?worker=<id>`, the head of that person's facility nominates them (anyone else: 404)."""
    c = access_course(request.user, course_id)
    user = api_user(request)
    if filters.worker is not None and filters.worker != user.public_id:
        learner = access_staff_member(user, filters.worker)
        e, created = course_nominate(
            course=c, learner=learner, actor=user, origin=origin_of(request)
        )
    else:
        e, created = course_enrol(course=c, actor=user, origin=origin_of(request))
    return Status(201 if created else 200, _enrolment_out(e))


class LedgerLineOut(Schema):
    activity_type: str
    label: str
    tiet: Decimal


class CreditOut(Schema):
    id: UUID
    title: str
    activity_type: str
    provider: str
    tiet: Decimal
    earned_on: date
    source: str
    counted: bool


class LedgerOut(Schema):
    since: date
    window_start: date = Field(description="Exclusive: credits after this date count")
    window_total: Decimal
    required: Decimal
    deadline: date = Field(description="When the window would fall short with no new credit")
    missing: Decimal = Field(description="Tiết to earn by the deadline")
    short_now: bool
    warning: bool
    by_activity: list[LedgerLineOut]
    credits: list[CreditOut]


class LedgerFilters(NoFilters):
    worker: UUID | None = Field(
        None, description="Omit for your own; a facility head may give one of their staff"
    )


@router.get("/cme/ledger", response=LedgerOut, summary="A CME ledger (120 tiết in 5 years)")
def ledger(request: HttpRequest, filters: Query[LedgerFilters]) -> dict[str, object]:
    """Your own ledger, or — for the head of a facility — one of its clinical staff's
    (audited). Anyone else's id answers 404."""
    user = api_user(request)
    person = user
    if filters.worker is not None and filters.worker != user.public_id:
        person = access_staff_member(user, filters.worker)
        audit_record(
            actor=user,
            action=AuditAction.VIEW,
            obj=person,
            purpose="CME ledger of staff",
            origin=origin_of(request),
        )
    book = cme_ledger(person)
    s = book.status
    return {
        "since": book.since,
        "window_start": s.window_start,
        "window_total": s.window_total,
        "required": s.required,
        "deadline": s.deadline,
        "missing": s.missing,
        "short_now": s.short_now,
        "warning": s.warning,
        "by_activity": [
            {"activity_type": line.activity_type, "label": line.label, "tiet": line.tiet}
            for line in book.by_activity
        ],
        "credits": [
            {
                "id": c.public_id,
                "title": c.title,
                "activity_type": c.activity_type,
                "provider": c.provider,
                "tiet": c.tiet,
                "earned_on": c.earned_on,
                "source": c.source,
                "counted": c.counts,
            }
            for c in [*book.credits, *book.pending]
        ],
    }


class CertificateOut(Schema):
    number: str
    learner: str
    course: str
    tiet: Decimal
    issued_on: date
    issuer: str
    cme_provider_code: str
    valid: bool = Field(description="Not revoked, and its signed credential verifies")
    revoked_on: date | None
    credential: str = Field(description="The signed credential (VC-JOSE, Open Badges 3.0)")


@router.get(
    "/certificates/{number}",
    response=CertificateOut,
    auth=None,
    summary="Verify a certificate by its number (public)",
)
def get_certificate(
    request: HttpRequest,
    number: str = PathParam(..., pattern=r"^[A-Za-z0-9-]{1,16}$", description="CN-XXXX-XXXX"),
    filters: NoFilters = no_filters(),
) -> dict[str, object]:
    """What the public verification page shows, and nothing more: no sign-in needed."""
    cert = (
        Certificate.objects.select_related("course__centre__facility", "user", "credit")
        .filter(number=number.strip().upper()[:16])
        .first()
    )
    if cert is None:
        raise Http404
    return {
        "number": cert.number,
        "learner": cert.user.full_name,
        "course": cert.course.title_vi,
        "tiet": cert.credit.tiet,
        "issued_on": timezone.localdate(cert.issued_at),
        "issuer": cert.course.centre.facility.name,
        "cme_provider_code": cert.course.centre.cme_provider_code,
        "valid": cert.is_valid and verify(cert.credential).genuine,
        "revoked_on": timezone.localdate(cert.revoked_at) if cert.revoked_at else None,
        "credential": cert.credential,
    }


class AttendanceOut(Schema):
    learner: UUID
    name: str
    seconds: int
    share: Decimal
    present: bool = Field(description="As counted, after any correction")
    recorded_present: bool = Field(description="As computed from the recorded times")
    correction_reason: str


@router.get(
    "/training-sessions/{session_id}/attendance",
    response=list[AttendanceOut],
    summary="A session's attendance (its organisers)",
)
@paginate(Pagination)
def session_attendance(
    request: HttpRequest, session_id: UUID, filters: ListFilters = no_filters()
) -> SerializedPage:
    """Computed from join and leave times (the video room, on-site check-in); the organisers'
    corrections applied. Organisers of the course only: anyone else gets 404."""
    session = access_organised_session(request.user, session_id)
    rows = (
        Attendance.objects.filter(session=session)
        .select_related("user")
        .order_by("user__full_name", "id")
    )
    return SerializedPage(
        rows,
        lambda page: [
            {
                "learner": a.user.public_id,
                "name": a.user.full_name,
                "seconds": a.seconds,
                "share": a.share,
                "present": a.counts_as_present,
                "recorded_present": a.present,
                "correction_reason": a.correction_reason,
            }
            for a in page
        ],
    )


class TeachingCaseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    consult: UUID = Field(description="A closed consultation you answered or asked")


class TeachingCaseOut(Schema):
    id: UUID
    status: str
    title: str
    age_band: str
    sex: str
    presentation: str
    question: str
    advice: str
    diagnoses: str
    course_of_care: str
    passages_hidden: int
    url: str


@router.post(
    "/teaching-cases",
    response={201: TeachingCaseOut, 200: TeachingCaseOut},
    summary="Propose a closed consultation as a teaching case",
)
def propose_teaching_case(
    request: HttpRequest, payload: TeachingCaseIn
) -> Status[dict[str, object]]:
    """Prepares the de-identified copy (no name, ID, insurance or phone number, address or exact
    date) for a reviewer at the hub. Once per consultation: again answers the same case (200)."""
    consult = access_consultation(request.user, payload.consult)
    case, created = teaching_case_propose(
        consultation=consult, actor=api_user(request), origin=origin_of(request)
    )
    return Status(
        201 if created else 200,
        {
            "id": case.public_id,
            "status": case.status,
            "title": case.title,
            "age_band": case.age_band,
            "sex": case.sex,
            "presentation": case.presentation,
            "question": case.question,
            "advice": case.advice,
            "diagnoses": case.diagnoses,
            "course_of_care": case.course_of_care,
            "passages_hidden": case.redactions,
            "url": case.get_absolute_url(),
        },
    )
