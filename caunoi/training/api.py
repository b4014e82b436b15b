"""Training in the JSON API: the course catalogue, a course, enrolling, the CME ledger."""

from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from caunoi.accounts.api_auth import api_user
from caunoi.audit.origin import origin_of
from caunoi.core.api import ListFilters, NoFilters, Pagination, SerializedPage, no_filters
from caunoi.training.access import access_course, access_organised_session
from caunoi.training.certificates import verify
from caunoi.training.models import (
    Attendance,
    Certificate,
    Course,
    CourseFormat,
    Enrolment,
    EnrolmentStatus,
)
from caunoi.training.selectors import cme_ledger, course_catalogue
from caunoi.training.services import course_enrol

router = Router(tags=["training"])


class CourseFilters(ListFilters):
    q: str = Field("", max_length=100, description="Words of the title (diacritics ignored)")
    specialty: str = Field("", max_length=40, description="A specialty code")
    format: Literal["", "live_online", "recorded", "in_person", "blended"] = ""
    for_me: bool = Field(False, description="Only courses for your profession and province")
    past: bool = Field(False, description="Include courses that have ended")


class SessionOut(Schema):
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
    url: str


class CourseDetailOut(CourseOut):
    description: str
    sessions: list[SessionOut]


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


@router.get("/courses/{course_id}", response=CourseDetailOut, summary="One course")
def get_course(
    request: HttpRequest, course_id: UUID, filters: NoFilters = no_filters()
) -> dict[str, object]:
    c = access_course(request.user, course_id)
    taken = c.enrolments.filter(
        status__in=[EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED]
    ).count()
    return {
        **_course_out(c, taken),
        "description": c.description,
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


@router.post(
    "/courses/{course_id}/enrol",
    response={201: EnrolmentOut, 200: EnrolmentOut},
    summary="Enrol on a course (or join its waiting list)",
)
def enrol(request: HttpRequest, course_id: UUID) -> Status[dict[str, object]]:
    """Takes a place while there is one, else a place on the waiting list (`status`
    says which). Enrolling again answers the place you hold (200) and changes nothing."""
    c = access_course(request.user, course_id)
    e, created = course_enrol(course=c, actor=api_user(request), origin=origin_of(request))
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
    worker: UUID | None = Field(None, description="Omit, or give your own user id")


@router.get("/cme/ledger", response=LedgerOut, summary="Your CME ledger (120 tiết in 5 years)")
def ledger(request: HttpRequest, filters: Query[LedgerFilters]) -> dict[str, object]:
    """Your own ledger. A learner's ledger is theirs: another person's id answers 404 (a
    facility head reads the summary of their staff on the facility's page)."""
    user = api_user(request)
    if filters.worker is not None and filters.worker != user.public_id:
        raise Http404
    book = cme_ledger(user)
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
    request: HttpRequest, number: str, filters: NoFilters = no_filters()
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
