"""Every change to training: publishing a course, enrolling, recording and correcting
attendance, completing a course into CME credit. Each is atomic and writes its audit row; a
refusal is a ``ValidationError`` or ``PermissionDenied`` with a message, and changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import audit_record, record_step
from caunoi.consults.models import Consultation
from caunoi.consults.models import Status as ConsultStatus
from caunoi.core.files import process_upload
from caunoi.network.models import Membership, Specialty
from caunoi.notifications.messages import in_each_language
from caunoi.notifications.services import notify
from caunoi.places.models import Province
from caunoi.training.access import (
    audience_fits,
    can_organise,
    can_review_case,
    heads_staff,
    learner_memberships,
)
from caunoi.training.certificates import credential_claims, new_number, sign
from caunoi.training.deidentify import Known, age_band, redact, relative_day
from caunoi.training.models import (
    HOLDING_PLACE,
    MAX_TIET,
    ActivityType,
    AssessmentAttempt,
    AssessmentKind,
    AssessmentQuestion,
    Attendance,
    AttendanceInterval,
    AttendanceSource,
    CaseStatus,
    Certificate,
    CmeCredit,
    Course,
    CourseFormat,
    CourseMaterial,
    CourseStatus,
    CreditSource,
    Enrolment,
    EnrolmentStatus,
    SessionCase,
    SessionEvaluation,
    SessionMode,
    TeachingCase,
    TeachingCaseImage,
    TrainingCentre,
    TrainingSession,
)
from caunoi.training.rules import presence
from caunoi.video.models import VideoJoin, VideoSession
from caunoi.video.services import video_teaching_schedule, video_viewers_add


@dataclass(frozen=True)
class SessionInput:
    title: str
    starts_at: datetime
    ends_at: datetime
    mode: str
    external_url: str = ""
    place: str = ""


@dataclass(frozen=True)
class QuestionInput:
    text: str
    choices: Sequence[str]
    answer: int


def _question_errors(questions: Sequence[QuestionInput]) -> list[str]:
    errors = []
    for n, q in enumerate(questions, start=1):
        choices = [c.strip() for c in q.choices]
        if not q.text.strip():
            errors.append(_("Question %(n)s has no text.") % {"n": n})
        elif not 2 <= len(choices) <= 6 or not all(choices):
            errors.append(_("Question %(n)s needs 2 to 6 answers, none empty.") % {"n": n})
        elif not 0 <= q.answer < len(choices):
            errors.append(_("Question %(n)s: mark which answer is right.") % {"n": n})
    return errors


@dataclass(frozen=True)
class CourseInput:
    title_vi: str
    tiet: Decimal
    capacity: int
    format: str
    sessions: Sequence[SessionInput]
    title_en: str = ""
    description: str = ""
    specialty: Specialty | None = None
    audience_professions: Sequence[str] = ()
    audience_levels: Sequence[str] = ()
    audience_provinces: Sequence[Province] = field(default_factory=list)
    questions: Sequence[QuestionInput] = ()
    material_links: Sequence[tuple[str, str]] = ()  # (title, url)


def _starts(course: Course) -> str:
    first = course.sessions.order_by("starts_at").first()
    return timezone.localtime(first.starts_at).strftime("%d/%m/%Y %H:%M") if first else ""


def course_publish(
    *,
    actor: User,
    centre: TrainingCentre,
    data: CourseInput,
    client_id: uuid.UUID | None = None,
    origin: AuditOrigin = SYSTEM,
) -> tuple[Course, bool]:
    """Publish a course with its sessions. Only the staff of the training centre publish; the
    same ``client_id`` again answers the course it made (``False``: not created now)."""
    if not centre.is_active or not can_organise(actor, centre):
        raise PermissionDenied(_("Only the staff of this training centre publish its courses."))
    if client_id is not None:
        existing = Course.objects.filter(created_by=actor, client_id=client_id).first()
        if existing is not None:
            return existing, False
    errors: dict[str, list[str]] = {}
    if not data.sessions:
        errors["sessions"] = [_("Add at least one session with its date and time.")]
    for s in data.sessions:
        if s.ends_at <= s.starts_at:
            errors["sessions"] = [_("Each session must end after it starts.")]
        if s.mode == SessionMode.EXTERNAL and not s.external_url:
            errors["sessions"] = [_("Give the meeting link of a session held elsewhere.")]
    question_errors = _question_errors(data.questions)
    if question_errors:
        errors["test"] = question_errors
    if errors:
        raise ValidationError(errors)
    course = Course(
        centre=centre,
        title_vi=data.title_vi.strip(),
        title_en=data.title_en.strip(),
        description=data.description.strip(),
        specialty=data.specialty,
        format=data.format,
        tiet=data.tiet,
        capacity=data.capacity,
        status=CourseStatus.PUBLISHED,
        created_by=actor,
        client_id=client_id,
        starts_on=min(timezone.localdate(s.starts_at) for s in data.sessions),
        ends_on=max(timezone.localdate(s.ends_at) for s in data.sessions),
    )
    course.professions = list(data.audience_professions)
    course.levels = list(data.audience_levels)
    course.full_clean(exclude=["created_by", "centre", "specialty", "client_id"])
    if course.format not in CourseFormat.values:
        raise ValidationError({"format": [_("Choose the course format.")]})
    try:
        with transaction.atomic():
            course.save()
            course.audience_provinces.set(data.audience_provinces)
            for s in data.sessions:
                session = TrainingSession(
                    course=course,
                    title=s.title.strip() or course.title_vi,
                    starts_at=s.starts_at,
                    ends_at=s.ends_at,
                    mode=s.mode,
                    external_url=s.external_url,
                    place=s.place,
                    checkin_secret=uuid.uuid4().hex,
                )
                session.full_clean(exclude=["course"])
                session.save()
            AssessmentQuestion.objects.bulk_create(
                [
                    AssessmentQuestion(
                        course=course,
                        position=n,
                        text=q.text.strip()[:500],
                        choices=[c.strip()[:300] for c in q.choices],
                        answer=q.answer,
                    )
                    for n, q in enumerate(data.questions, start=1)
                ]
            )
            for title, url in data.material_links:
                CourseMaterial.objects.create(
                    course=course, title=title.strip()[:200], url=url, added_by=actor
                )
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=course,
                purpose="training",
                detail={"sessions": len(data.sessions), "tiet": str(course.tiet)},
                origin=origin,
            )
    except IntegrityError:
        # The same request twice at once: the other one made it.
        existing = Course.objects.filter(created_by=actor, client_id=client_id).first()
        if existing is None:
            raise
        return existing, False
    return course, True


def _lock_course(course: Course) -> Course:
    return Course.objects.select_for_update().get(pk=course.pk)


def _notify_enrolment(enrolment: Enrolment, message: str, **extra: str) -> None:
    course = enrolment.course
    notify(
        users=[enrolment.user],
        message=message,
        params={
            "course": in_each_language(lambda: course.title),
            "starts": _starts(course),
            "centre": course.centre.facility.name,
            **extra,
        },
        url=course.get_absolute_url(),
    )


def _check_open(course: Course) -> None:
    if course.status != CourseStatus.PUBLISHED:
        raise ValidationError(_("This course is not open for enrolment."))
    if course.ends_on is not None and course.ends_on < timezone.localdate():
        raise ValidationError(_("This course has ended."))


def _enrol(
    *, course: Course, learner: User, actor: User, origin: AuditOrigin
) -> tuple[Enrolment, bool]:
    """A place for ``learner`` while there is one, else the waiting list; ``actor`` is the
    learner or the head who nominates them."""
    nominated = actor.pk != learner.pk
    with transaction.atomic():
        locked = _lock_course(course)  # one enrolment at a time decides the last place
        existing = Enrolment.objects.filter(course=locked, user=learner).first()
        if existing is not None and existing.status != EnrolmentStatus.CANCELLED:
            return existing, False
        taken = Enrolment.objects.filter(course=locked, status__in=HOLDING_PLACE).count()
        status = EnrolmentStatus.ENROLLED if taken < locked.capacity else EnrolmentStatus.WAITLISTED
        enrolment = existing or Enrolment(course=locked, user=learner)
        enrolment.status = status
        enrolment.nominated_by = actor if nominated else None
        enrolment.save()
        record_step(
            obj=enrolment,
            fields=None,
            kind=status,
            actor=actor,
            action=AuditAction.CREATE,
            purpose="training",
            audit_detail={
                "course": str(locked.public_id),
                "status": status,
                "nominated": nominated,
            },
            origin=origin,
        )
        enrolment.course = locked
        if nominated:
            _notify_enrolment(
                enrolment,
                "training.nominated"
                if status == EnrolmentStatus.ENROLLED
                else "training.nominated_waitlisted",
                head=actor.full_name,
            )
        else:
            _notify_enrolment(
                enrolment,
                "training.enrolled"
                if status == EnrolmentStatus.ENROLLED
                else "training.waitlisted",
            )
    return enrolment, True


def course_enrol(
    *,
    course: Course,
    actor: User,
    origin: AuditOrigin = SYSTEM,
) -> tuple[Enrolment, bool]:
    """Enrol ``actor`` on ``course``: a place while there is one, else the waiting list.
    Enrolling again answers the place already held (``False``) and changes nothing."""
    _check_open(course)
    if not audience_fits(actor, course):
        raise ValidationError(_("This course is for other professions or provinces than yours."))
    return _enrol(course=course, learner=actor, actor=actor, origin=origin)


def course_nominate(
    *,
    course: Course,
    learner: User,
    actor: User,
    origin: AuditOrigin = SYSTEM,
) -> tuple[Enrolment, bool]:
    """The head of a facility nominates one of its clinical staff: the learner takes a place
    (or the waiting list) as if they had enrolled, and is told who nominated them. A learner
    already enrolled keeps their place (``False``)."""
    if not heads_staff(actor, learner):
        raise PermissionDenied(_("Only the head of the learner's facility nominates them."))
    _check_open(course)
    if not audience_fits(learner, course):
        raise ValidationError(
            _("This course is for other professions or provinces than this person's.")
        )
    return _enrol(course=course, learner=learner, actor=actor, origin=origin)


def enrolment_cancel(
    *, enrolment: Enrolment, actor: User, origin: AuditOrigin = SYSTEM
) -> Enrolment:
    """The learner gives up their place (or their place on the waiting list); the first on the
    waiting list takes a freed place and is told."""
    if enrolment.user_id != actor.pk:
        raise PermissionDenied(_("Only the learner cancels their enrolment."))
    with transaction.atomic():
        course = _lock_course(enrolment.course)
        row = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if row.status not in (EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED):
            raise ValidationError(_("This enrolment can no longer be cancelled."))
        freed = row.status == EnrolmentStatus.ENROLLED
        row.status = EnrolmentStatus.CANCELLED
        record_step(
            obj=row,
            fields=["status"],
            kind=EnrolmentStatus.CANCELLED,
            actor=actor,
            purpose="training",
            origin=origin,
        )
        if freed:
            first = (
                Enrolment.objects.select_for_update()
                .filter(course=course, status=EnrolmentStatus.WAITLISTED)
                .order_by("created_at", "id")
                .first()
            )
            if first is not None:
                first.status = EnrolmentStatus.ENROLLED
                record_step(
                    obj=first,
                    fields=["status"],
                    kind=EnrolmentStatus.ENROLLED,
                    actor=None,
                    purpose="training",
                    audit_detail={"from": "waiting list"},
                )
                first.course = course
                _notify_enrolment(first, "training.place_opened")
    return row


def attendance_join(
    *, session: TrainingSession, user: User, source: str, at: datetime | None = None
) -> AttendanceInterval:
    """Record that ``user`` joined ``session`` (the video room calls this; an on-site check-in
    records the whole session from the scan)."""
    if source not in AttendanceSource.values:
        raise ValueError(f"unknown attendance source {source!r}")
    if not Enrolment.objects.filter(
        course_id=session.course_id,
        user=user,
        status__in=HOLDING_PLACE,
    ).exists():
        raise PermissionDenied(_("Only learners enrolled on the course join its sessions."))
    return AttendanceInterval.objects.create(
        session=session, user=user, joined_at=at or timezone.now(), source=source
    )


def attendance_leave(*, session: TrainingSession, user: User, at: datetime | None = None) -> int:
    """Close ``user``'s open intervals in ``session``; answers how many were open."""
    return AttendanceInterval.objects.filter(
        session=session, user=user, left_at__isnull=True
    ).update(left_at=at or timezone.now())


def session_attendance_compute(
    *, session: TrainingSession, now: datetime | None = None
) -> list[Attendance]:
    """Attendance of every enrolled learner from the recorded intervals: time attended, its
    share of the session, present above ``presence_share``. Corrections made by the organiser
    are kept (they override ``present``, not the record)."""
    now = now or timezone.now()
    intervals: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for user_id, joined, left in session.intervals.values_list("user_id", "joined_at", "left_at"):
        intervals[user_id].append((joined, left))
    if session.video_session_id is not None:
        for user_id, joined, left in VideoJoin.objects.filter(
            session_id=session.video_session_id
        ).values_list("user_id", "joined_at", "left_at"):
            intervals[user_id].append((joined, left))
    learners = list(
        Enrolment.objects.filter(
            course_id=session.course_id,
            status__in=HOLDING_PLACE,
        ).values_list("user_id", flat=True)
    )
    threshold = float(session.presence_share)
    with transaction.atomic():
        existing = {a.user_id: a for a in session.attendance.select_for_update()}
        rows = []
        for user_id in learners:
            p = presence(
                intervals.get(user_id, []),
                start=session.starts_at,
                end=session.ends_at,
                threshold=threshold,
                now=min(now, session.ends_at),
            )
            row = existing.get(user_id) or Attendance(session=session, user_id=user_id)
            row.seconds = p.seconds
            row.share = Decimal(str(round(p.share, 3)))
            row.present = p.present
            rows.append(row)
        Attendance.objects.bulk_create([r for r in rows if r.pk is None], batch_size=500)
        Attendance.objects.bulk_update(
            [r for r in rows if r.pk is not None],
            ["seconds", "share", "present", "updated_at"],
            batch_size=500,
        )
        session.attendance_computed_at = now
        session.save(update_fields=["attendance_computed_at", "updated_at"])
        if session.ends_at <= now:
            _presentation_credits(session, {r.user_id: r.counts_as_present for r in rows})
        audit_record(
            actor=None,
            action=AuditAction.UPDATE,
            obj=session,
            purpose="training attendance",
            detail={"learners": len(rows), "present": sum(r.present for r in rows)},
        )
    return rows


def attendance_correct(
    *,
    attendance: Attendance,
    actor: User,
    present: bool,
    reason: str,
    origin: AuditOrigin = SYSTEM,
) -> Attendance:
    """The organiser corrects a learner's presence (the recording failed, the learner joined
    by telephone): with a reason, audited; the recorded time stays as it was."""
    session = attendance.session
    if not can_organise(actor, session.course.centre):
        raise PermissionDenied(_("Only the organisers of this course correct its attendance."))
    reason = reason.strip()
    if len(reason) < 5:
        raise ValidationError({"reason": [_("Say why the attendance is corrected.")]})
    with transaction.atomic():
        row = Attendance.objects.select_for_update().get(pk=attendance.pk)
        before = row.counts_as_present
        row.corrected_present = present
        row.correction_reason = reason[:300]
        row.corrected_by = actor
        row.save(
            update_fields=["corrected_present", "correction_reason", "corrected_by", "updated_at"]
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=row,
            purpose="training attendance correction",
            detail={"present": present, "was": before, "reason": row.correction_reason},
            origin=origin,
        )
    return row


def course_complete(
    *, course: Course, actor: User | None = None, origin: AuditOrigin = SYSTEM
) -> list[CmeCredit]:
    """Close a course whose sessions are over: a learner present at every session completes it
    and earns its tiết in the CME ledger (once: completing again adds nothing)."""
    if actor is not None and not can_organise(actor, course.centre):
        raise PermissionDenied(_("Only the organisers of this course complete it."))
    sessions = list(course.sessions.all())
    if not sessions or any(not s.is_over for s in sessions):
        raise ValidationError(_("The course is complete only when its last session is over."))
    for s in sessions:
        if s.attendance_computed_at is None or s.attendance_computed_at < s.ends_at:
            session_attendance_compute(session=s)
    present: dict[int, int] = defaultdict(int)
    for a in Attendance.objects.filter(session__course=course):
        if a.counts_as_present:
            present[a.user_id] += 1
    credits = []
    with transaction.atomic():
        enrolments = Enrolment.objects.select_for_update().filter(
            course=course, status=EnrolmentStatus.ENROLLED
        )
        for e in enrolments:
            if present[e.user_id] < len(sessions):
                continue
            e.status = EnrolmentStatus.COMPLETED
            e.completed_at = timezone.now()
            record_step(
                obj=e,
                fields=["status", "completed_at"],
                kind=EnrolmentStatus.COMPLETED,
                actor=actor,
                purpose="training",
                origin=origin,
            )
            credit, created = CmeCredit.objects.get_or_create(
                user_id=e.user_id,
                course=course,
                defaults={
                    "activity_type": course.activity_type,
                    "title": course.title_vi,
                    "provider": str(course.centre),
                    "tiet": course.tiet,
                    "earned_on": course.ends_on or timezone.localdate(),
                    "source": CreditSource.PLATFORM,
                },
            )
            if created:
                audit_record(
                    actor=actor,
                    action=AuditAction.CREATE,
                    obj=credit,
                    purpose="CME credit",
                    detail={"tiet": str(credit.tiet)},
                    origin=origin,
                )
                certificate_issue(credit=credit, actor=actor, origin=origin)
                credits.append(credit)
    return credits


def certificate_issue(
    *, credit: CmeCredit, actor: User | None, origin: AuditOrigin = SYSTEM
) -> Certificate:
    """The certificate of a course's credit, with its number and signed credential (once)."""
    assert credit.course is not None  # certificates are for courses given here
    existing = Certificate.objects.filter(credit=credit).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        cert = Certificate(
            number=new_number(), credit=credit, user=credit.user, course=credit.course
        )
        while Certificate.objects.filter(number=cert.number).exists():
            cert.number = new_number()
        cert.credential = sign(credential_claims(cert))
        cert.save()
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=cert,
            purpose="CME certificate",
            detail={"number": cert.number},
            origin=origin,
        )
    return cert


def certificate_revoke(
    *, certificate: Certificate, actor: User, reason: str, origin: AuditOrigin = SYSTEM
) -> Certificate:
    """Revoke a certificate (issued in error, attendance found false): the public page says so
    at once. The issuing centre's organisers only, with a reason; audited."""
    if not can_organise(actor, certificate.course.centre):
        raise PermissionDenied(_("Only the issuing training centre revokes its certificates."))
    reason = reason.strip()
    if len(reason) < 5:
        raise ValidationError({"reason": [_("Say why the certificate is revoked.")]})
    with transaction.atomic():
        row = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if row.revoked_at is not None:
            raise ValidationError(_("This certificate is already revoked."))
        row.revoked_at = timezone.now()
        row.revoke_reason = reason[:300]
        row.save(update_fields=["revoked_at", "revoke_reason", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=row,
            purpose="CME certificate revoked",
            detail={"number": row.number, "reason": row.revoke_reason},
            origin=origin,
        )
    return row


# Learners are reminded this long before each session (the bell, and e-mail when offline).
REMINDER_HOURS = 24


def session_reminders_send(*, now: datetime | None = None, batch: int = 50) -> int:
    """Remind the learners of every session starting within ``REMINDER_HOURS`` that has not
    been reminded yet; answers how many people were told. Safe in several workers at once:
    each session is taken under a row lock that others skip, and marked in the same
    transaction as its notifications."""
    now = now or timezone.now()
    due = TrainingSession.objects.filter(
        reminded_at__isnull=True,
        starts_at__gt=now,
        starts_at__lte=now + timedelta(hours=REMINDER_HOURS),
        course__status=CourseStatus.PUBLISHED,
    ).values_list("pk", flat=True)[:batch]
    told = 0
    for pk in list(due):
        with transaction.atomic():
            session = (
                TrainingSession.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("course__centre__facility")
                .filter(pk=pk, reminded_at__isnull=True)
                .first()
            )
            if session is None:
                continue
            course = session.course
            learners = User.objects.filter(
                enrolments__course_id=course.pk, enrolments__status=EnrolmentStatus.ENROLLED
            )
            rows = notify(
                users=learners,
                message="training.reminder",
                params={
                    "course": in_each_language(lambda c=course: c.title),  # type: ignore[misc]
                    "session": session.title,
                    "starts": session.starts_at,
                },
                url=course.get_absolute_url(),
            )
            session.reminded_at = now
            session.save(update_fields=["reminded_at", "updated_at"])
            told += len(rows)
    return told


# A check-in code changes every CHECKIN_STEP seconds; the one before is still taken (a phone
# that scanned just before the change).
CHECKIN_STEP = 300
# Learners check in from this long before a session starts until it ends.
CHECKIN_EARLY = timedelta(minutes=30)


def checkin_code(session: TrainingSession, *, at: datetime | None = None) -> str:
    """The code the organiser's screen shows now (in the QR code)."""
    step = int((at or timezone.now()).timestamp()) // CHECKIN_STEP
    digest = hmac.new(
        session.checkin_secret.encode(), f"{session.public_id}:{step}".encode(), hashlib.sha256
    )
    return digest.hexdigest()[:12]


def _code_current(session: TrainingSession, code: str, at: datetime) -> bool:
    return any(
        hmac.compare_digest(code, checkin_code(session, at=at - timedelta(seconds=back)))
        for back in (0, CHECKIN_STEP)
    )


def attendance_check_in(
    *,
    session: TrainingSession,
    user: User,
    code: str,
    at: datetime | None = None,
    origin: AuditOrigin = SYSTEM,
) -> tuple[AttendanceInterval, bool]:
    """An on-site learner scans the organiser's QR code: present from now to the end of the
    session. The code must be the current one (a photo of yesterday's, or a made-up one, is
    refused); checking in again answers the first check-in."""
    at = at or timezone.now()
    if session.mode != SessionMode.IN_PERSON:
        raise ValidationError(_("This session is not held in person: there is no check-in."))
    if not (session.starts_at - CHECKIN_EARLY <= at <= session.ends_at):
        raise ValidationError(
            _("Check-in is open from 30 minutes before the session until it ends.")
        )
    if not session.checkin_secret or not _code_current(session, code.strip(), at):
        raise ValidationError(
            _("This check-in code is not valid now. Scan the code on the organiser's screen.")
        )
    with transaction.atomic():
        existing = AttendanceInterval.objects.filter(
            session=session, user=user, source=AttendanceSource.QR
        ).first()
        if existing is not None:
            return existing, False
        interval = attendance_join(
            session=session, user=user, source=AttendanceSource.QR, at=max(at, session.starts_at)
        )
        interval.left_at = session.ends_at
        interval.save(update_fields=["left_at"])
        audit_record(
            actor=user,
            action=AuditAction.CREATE,
            obj=session,
            purpose="training check-in",
            detail={"at": at.isoformat()},
            origin=origin,
        )
    return interval, True


def _known(c: Consultation) -> Known:
    p = c.patient
    identifiers = [p.citizen_id, p.insurance_number, p.phone, p.address, p.household]
    return Known(names=[p.full_name], identifiers=[i for i in identifiers if i])


def _hidden(text: str, known: Known) -> tuple[str, int]:
    out, spans = redact(text or "", known)
    return out, len(spans)


def teaching_case_propose(
    *, consultation: Consultation, actor: User, origin: AuditOrigin = SYSTEM
) -> tuple[TeachingCase, bool]:
    """From a closed consultation, its specialist or its requester proposes a teaching case:
    the de-identified copy is prepared now (``deidentify``), photos re-encoded without
    metadata, and it waits for a reviewer at the hub. Once per consultation."""
    c = consultation
    if c.status != ConsultStatus.CLOSED:
        raise ValidationError(_("Only a closed consultation becomes a teaching case."))
    if actor.pk not in (c.specialist_id, c.requester_id):
        raise PermissionDenied(
            _("The consultation's specialist or the health worker who asked proposes it.")
        )
    existing = TeachingCase.objects.filter(consultation=c).first()
    if existing is not None:
        return existing, False
    # A closed consultation was sent to a hub.
    assert c.hub_id is not None
    assert c.submitted_at is not None
    known = _known(c)
    anchor = c.submitted_at
    parts = []
    hidden = 0
    for label, value in [
        (_("Reason"), c.reason),
        (pgettext("clinical: the illness so far", "History"), c.history),
        (_("Examination"), c.examination),
        (_("Current treatment"), c.current_treatment),
    ]:
        if value:
            text, n = _hidden(value, known)
            hidden += n
            parts.append(f"{label}: {text}")
    question, n_question = _hidden(c.question, known)
    advice, n_advice = _hidden(c.advice, known)
    action, n_action = _hidden(c.action_taken, known)
    steps = [
        (c.submitted_at, _("asked")),
        (c.first_response_at, _("first answer")),
        (c.answered_at, _("advice given")),
        (c.closed_at, _("closed")),
    ]
    course_of_care = "; ".join(
        f"{relative_day(at, anchor)}: {what}" for at, what in steps if at is not None
    )
    if action:
        course_of_care += f". {_('What was done')}: {action}"
    with transaction.atomic():
        case = TeachingCase.objects.create(
            consultation=c,
            hub_id=c.hub_id,
            specialty_id=c.specialty_id,
            title=f"{c.specialty.name}: {age_band(c.patient.birth_date, timezone.localdate(anchor))}",
            age_band=age_band(c.patient.birth_date, timezone.localdate(anchor)),
            sex=c.patient.sex,
            presentation="\n".join(parts),
            question=question,
            advice=advice,
            diagnoses=", ".join(d.code for d in c.diagnoses.all()),
            course_of_care=course_of_care,
            redactions=hidden + n_question + n_advice + n_action,
            proposed_by=actor,
        )
        for a in c.attachments.filter(kind="image").order_by("id"):
            with a.file.open("rb") as f:
                fresh = process_upload(f.read(), "photo.jpg")
            image = TeachingCaseImage(case=case)
            image.file.save("photo.jpg", ContentFile(fresh.content), save=False)
            image.save()
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=case,
            purpose="teaching case proposed",
            detail={"consultation": str(c.public_id), "hidden": case.redactions},
            origin=origin,
        )
    return case, True


@dataclass(frozen=True)
class CaseEdits:
    """What the reviewer may correct before approving (a name the scanner missed)."""

    presentation: str
    question: str
    advice: str
    course_of_care: str


def teaching_case_review(
    *,
    case: TeachingCase,
    actor: User,
    approve: bool,
    confirmed_images: Sequence[uuid.UUID | str] = (),
    edits: CaseEdits | None = None,
    note: str = "",
    origin: AuditOrigin = SYSTEM,
) -> TeachingCase:
    """A reviewer at the case's hub (a coordinator or specialist there, not the proposer)
    approves — after confirming that every photo shows no face or identifying mark — or
    declines. Audited; a decided case is not reviewed again."""
    if not can_review_case(actor, case):
        raise PermissionDenied(
            _("A coordinator or specialist of the hub, not the proposer, reviews it.")
        )
    with transaction.atomic():
        row = TeachingCase.objects.select_for_update().get(pk=case.pk)
        if row.status != CaseStatus.PROPOSED:
            raise ValidationError(_("This teaching case has been reviewed already."))
        images = list(row.images.all())
        confirmed = {str(i) for i in confirmed_images}
        if approve and any(str(i.public_id) not in confirmed for i in images):
            raise ValidationError(
                {
                    "images": [
                        _(
                            "Confirm every photo shows no face or identifying mark, or decline the case."
                        )
                    ]
                }
            )
        if edits is not None:
            row.presentation = edits.presentation.strip()
            row.question = edits.question.strip()
            row.advice = edits.advice.strip()
            row.course_of_care = edits.course_of_care.strip()
        for i in images:
            i.confirmed = str(i.public_id) in confirmed
            i.save(update_fields=["confirmed"])
        row.status = CaseStatus.APPROVED if approve else CaseStatus.REJECTED
        row.reviewed_by = actor
        row.reviewed_at = timezone.now()
        row.review_note = note.strip()[:500]
        row.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=row,
            purpose="teaching case review",
            detail={"status": row.status, "edited": edits is not None},
            origin=origin,
        )
    return row


# --- materials ---------------------------------------------------------------------------------


def material_add(
    *,
    course: Course,
    actor: User,
    title: str,
    url: str = "",
    data: bytes | None = None,
    filename: str = "",
    origin: AuditOrigin = SYSTEM,
) -> CourseMaterial:
    """An organiser adds a reading, slides or a recording: a link, or a file checked by its
    content (a PDF or a photo, like every upload; re-encoded, without metadata)."""
    if not can_organise(actor, course.centre):
        raise PermissionDenied(_("Only the organisers of this course add its materials."))
    title = title.strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the material a title.")]
    if bool(url.strip()) == (data is not None):
        errors["url"] = [_("Give either a link or a file.")]
    if errors:
        raise ValidationError(errors)
    material = CourseMaterial(course=course, title=title[:200], url=url.strip(), added_by=actor)
    if data is not None:
        processed = process_upload(data, filename or title)
        material.content_type = processed.content_type
        material.file.save(f"material.{processed.extension}", ContentFile(processed.content), False)
    material.full_clean(exclude=["course", "added_by", "file"])
    with transaction.atomic():
        material.save()
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=material,
            purpose="training",
            detail={"course": str(course.public_id), "file": data is not None},
            origin=origin,
        )
    return material


# --- the pre/post test and the evaluation --------------------------------------------------------


def course_test_set(
    *,
    course: Course,
    actor: User,
    questions: Sequence[QuestionInput],
    origin: AuditOrigin = SYSTEM,
) -> list[AssessmentQuestion]:
    """The organisers set the course's test (the same questions before and after). Only
    until the first learner has taken it: changing the questions then would make the scores
    incomparable."""
    if not can_organise(actor, course.centre):
        raise PermissionDenied(_("Only the organisers of this course set its test."))
    errors = _question_errors(questions)
    if len(questions) > MAX_QUESTIONS:
        errors.append(_("A test has at most %(n)s questions.") % {"n": MAX_QUESTIONS})
    if errors:
        raise ValidationError({"questions": errors})
    with transaction.atomic():
        _lock_course(course)
        if AssessmentAttempt.objects.filter(enrolment__course=course).exists():
            raise ValidationError(
                _("Learners have taken this test already: its questions can no longer change.")
            )
        course.questions.all().delete()
        rows = AssessmentQuestion.objects.bulk_create(
            [
                AssessmentQuestion(
                    course=course,
                    position=n,
                    text=q.text.strip()[:500],
                    choices=[c.strip()[:300] for c in q.choices],
                    answer=q.answer,
                )
                for n, q in enumerate(questions, start=1)
            ]
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=course,
            purpose="training",
            detail={"test_questions": len(rows)},
            origin=origin,
        )
    return rows


MAX_QUESTIONS = 40
# The post-test stays open this long after the last session ends.
POST_TEST_DAYS = 14


def assessment_window(
    course: Course, kind: str, *, now: datetime | None = None
) -> TrainingSession | None:
    """The session a test of ``kind`` is taken at, if it is open now: the pre-test until the
    first session ends, the post-test from the last session's start to ``POST_TEST_DAYS``
    after it."""
    now = now or timezone.now()
    sessions = list(course.sessions.order_by("starts_at", "id"))
    if not sessions:
        return None
    if kind == AssessmentKind.PRE:
        first = sessions[0]
        return first if now < first.ends_at else None
    last = sessions[-1]
    return last if last.starts_at <= now <= last.ends_at + timedelta(days=POST_TEST_DAYS) else None


def assessment_take(
    *,
    enrolment: Enrolment,
    actor: User,
    kind: str,
    answers: Sequence[int | None],
    now: datetime | None = None,
    origin: AuditOrigin = SYSTEM,
) -> tuple[AssessmentAttempt, bool]:
    """The learner answers the course's test before (pre) or after (post) it: scored at once,
    kept as the attempt (of the enrolment, at the session it was taken at). Once each; sending it again answers the first."""
    if enrolment.user_id != actor.pk:
        raise PermissionDenied(_("Only the learner takes their test."))
    if kind not in AssessmentKind.values:
        raise ValidationError({"kind": [_("Choose the pre-test or the post-test.")]})
    existing = AssessmentAttempt.objects.filter(enrolment=enrolment, kind=kind).first()
    if existing is not None:
        return existing, False
    if enrolment.status not in HOLDING_PLACE:
        raise ValidationError(_("Only learners with a place on the course take its test."))
    questions = list(enrolment.course.questions.all())
    if not questions:
        raise ValidationError(_("This course has no test."))
    session = assessment_window(enrolment.course, kind, now=now)
    if session is None:
        raise ValidationError(
            _("The pre-test is open until the first session ends.")
            if kind == AssessmentKind.PRE
            else _("The post-test opens when the last session starts, for 14 days after it.")
        )
    if len(answers) != len(questions) or any(
        a is not None and not 0 <= a < len(q.choices)
        for a, q in zip(answers, questions, strict=False)
    ):
        raise ValidationError({"answers": [_("Answer each question with one of its choices.")]})
    correct = sum(1 for a, q in zip(answers, questions, strict=True) if a == q.answer)
    score = (Decimal(100 * correct) / len(questions)).quantize(Decimal("0.1"))
    try:
        with transaction.atomic():
            attempt = AssessmentAttempt.objects.create(
                enrolment=enrolment,
                kind=kind,
                session=session,
                answers=list(answers),
                correct=correct,
                total=len(questions),
                score=score,
            )
            record_step(
                obj=enrolment,
                fields=None,  # the score is the attempt's; the enrolment's timeline says when
                kind=f"test_{kind}",
                actor=actor,
                purpose="training test",
                audit_detail={"score": str(score)},
                origin=origin,
            )
    except IntegrityError:
        # The same answers sent twice at once: the other one was kept.
        return AssessmentAttempt.objects.get(enrolment=enrolment, kind=kind), False
    return attempt, True


def session_evaluate(
    *,
    session: TrainingSession,
    actor: User,
    rating: int,
    relevant: bool,
    comment: str = "",
    now: datetime | None = None,
    origin: AuditOrigin = SYSTEM,
) -> tuple[SessionEvaluation, bool]:
    """A learner's short evaluation of a session they had a place in, once it has started.
    Once each: sending it again answers the first."""
    now = now or timezone.now()
    existing = SessionEvaluation.objects.filter(session=session, user=actor).first()
    if existing is not None:
        return existing, False
    if not Enrolment.objects.filter(
        course_id=session.course_id, user=actor, status__in=HOLDING_PLACE
    ).exists():
        raise PermissionDenied(_("Only the session's learners evaluate it."))
    if now < session.starts_at:
        raise ValidationError(_("A session is evaluated once it has started."))
    evaluation = SessionEvaluation(
        session=session, user=actor, rating=rating, relevant=relevant, comment=comment.strip()
    )
    evaluation.full_clean(exclude=["session", "user"], validate_constraints=False)
    try:
        with transaction.atomic():
            evaluation.save()
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=evaluation,
                purpose="training",
                detail={"session": str(session.public_id), "rating": rating},
                origin=origin,
            )
    except IntegrityError:
        return SessionEvaluation.objects.get(session=session, user=actor), False
    return evaluation, True


# --- activities from elsewhere ------------------------------------------------------------------


@dataclass(frozen=True)
class DeclarationInput:
    activity_type: str
    title: str
    provider: str
    tiet: Decimal
    earned_on: date
    evidence: bytes
    evidence_name: str = "evidence"


def cme_credit_declare(
    *,
    actor: User,
    data: DeclarationInput,
    client_id: uuid.UUID | None = None,
    origin: AuditOrigin = SYSTEM,
) -> tuple[CmeCredit, bool]:
    """A health worker records an activity done elsewhere (a course at another centre, a
    conference) with its evidence — a scanned certificate, checked by content. It shows in
    the ledger as self-declared and counts once the head of their facility has checked it;
    the heads are told. The same ``client_id`` again answers the first declaration."""
    if client_id is not None:
        existing = CmeCredit.objects.filter(user=actor, client_id=client_id).first()
        if existing is not None:
            return existing, False
    errors: dict[str, list[str]] = {}
    if data.activity_type not in ActivityType.values:
        errors["activity_type"] = [_("Choose the kind of activity.")]
    if not data.title.strip():
        errors["title"] = [_("Name the activity.")]
    if not data.provider.strip():
        errors["provider"] = [_("Say which unit provided it.")]
    if data.earned_on > timezone.localdate():
        errors["earned_on"] = [_("The date cannot be in the future.")]
    if not Decimal("0.5") <= data.tiet <= MAX_TIET:
        errors["tiet"] = [_("Lesson periods are from 0.5 to 200.")]
    if errors:
        raise ValidationError(errors)
    try:
        processed = process_upload(data.evidence, data.evidence_name)
    except ValidationError as exc:
        raise ValidationError({"evidence": exc.messages}) from exc
    credit = CmeCredit(
        user=actor,
        activity_type=data.activity_type,
        title=data.title.strip()[:200],
        provider=data.provider.strip()[:200],
        tiet=data.tiet,
        earned_on=data.earned_on,
        source=CreditSource.SELF_DECLARED,
        evidence_type=processed.content_type,
        client_id=client_id,
    )
    heads = User.objects.filter(
        memberships__in=Membership.objects.active().filter(
            is_head=True,
            facility_id__in=[m.facility_id for m in learner_memberships(actor)],
        )
    ).exclude(pk=actor.pk)
    try:
        with transaction.atomic():
            credit.evidence.save(
                f"evidence.{processed.extension}", ContentFile(processed.content), save=False
            )
            credit.save()
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=credit,
                purpose="CME credit declared",
                detail={"tiet": str(credit.tiet), "activity": credit.activity_type},
                origin=origin,
            )
            notify(
                users=heads.distinct(),
                message="training.declared",
                params={"learner": actor.full_name, "tiet": str(credit.tiet)},
                url=reverse("training:staff"),
            )
    except IntegrityError:
        existing = CmeCredit.objects.filter(user=actor, client_id=client_id).first()
        if existing is None:
            raise
        return existing, False
    return credit, True


def cme_credit_check(
    *,
    credit: CmeCredit,
    actor: User,
    accept: bool,
    note: str = "",
    origin: AuditOrigin = SYSTEM,
) -> CmeCredit:
    """The head of the worker's facility accepts a declared activity (it counts from now on)
    or does not (with a reason; it stays in the ledger, not counted). Audited; the worker is
    told; a checked declaration is not checked again."""
    if credit.user_id == actor.pk or not heads_staff(actor, credit.user):
        raise PermissionDenied(_("The head of the worker's facility checks their activities."))
    note = note.strip()
    if not accept and len(note) < 5:
        raise ValidationError({"note": [_("Say why the activity is not accepted.")]})
    with transaction.atomic():
        row = CmeCredit.objects.select_for_update().get(pk=credit.pk)
        if not row.awaiting_check:
            raise ValidationError(_("This activity has been checked already."))
        now = timezone.now()
        if accept:
            row.verified_at = now
        else:
            row.declined_at = now
        row.reviewed_by = actor
        row.review_note = note[:300]
        row.save(
            update_fields=["verified_at", "declined_at", "reviewed_by", "review_note", "updated_at"]
        )
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=row,
            purpose="CME credit checked",
            detail={"accepted": accept, "note": row.review_note},
            origin=origin,
        )
        notify(
            users=[row.user],
            message="training.declaration_checked",
            params={
                "activity": row.title,
                "outcome": in_each_language(
                    lambda: (
                        _("Accepted: it counts in your ledger.")
                        if accept
                        else _("Not accepted: %(note)s") % {"note": row.review_note}
                    )
                ),
            },
            url=reverse("training:ledger"),
        )
    return row


# --- cases presented in sessions ------------------------------------------------------------------

# A case presented earns its presenter this many tiết of teaching (decision: Circular 32's
# conversion for presenting is not confirmed — DOMAIN.md, "Still to verify" — and one tiết
# is the length of an ECHO case presentation with its discussion).
PRESENTING_TIET = Decimal(1)


def session_case_add(
    *,
    session: TrainingSession,
    case: TeachingCase,
    presenter: User,
    actor: User,
    origin: AuditOrigin = SYSTEM,
) -> tuple[SessionCase, bool]:
    """The organisers put an approved teaching case on a session's programme, with who
    presents it (one of the course's learners or its organisers). Before the session ends;
    once per case and session."""
    if not can_organise(actor, session.course.centre):
        raise PermissionDenied(_("Only the organisers of this course plan its sessions."))
    if case.status != CaseStatus.APPROVED:
        raise ValidationError({"case": [_("Only an approved teaching case is presented.")]})
    if session.is_over:
        raise ValidationError(_("This session is over."))
    learner = Enrolment.objects.filter(
        course_id=session.course_id, user=presenter, status__in=HOLDING_PLACE
    ).exists()
    if not learner and not can_organise(presenter, session.course.centre):
        raise ValidationError(
            {"presenter": [_("The presenter is a learner of the course or one of its organisers.")]}
        )
    existing = SessionCase.objects.filter(session=session, case=case).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        row = SessionCase.objects.create(session=session, case=case, presenter=presenter)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=session,
            purpose="training",
            detail={"case": str(case.public_id), "presenter": str(presenter.public_id)},
            origin=origin,
        )
    return row, True


def _presentation_credits(session: TrainingSession, present: dict[int, bool]) -> int:
    """Once a session is over, each case presented earns its presenter ``PRESENTING_TIET`` of
    teaching — if they were there (a learner counted present, or an organiser). Once."""
    made = 0
    for sc in session.cases.select_related("case", "presenter").filter(credit__isnull=True):
        if not present.get(sc.presenter_id, can_organise(sc.presenter, session.course.centre)):
            continue
        credit = CmeCredit.objects.create(
            user=sc.presenter,
            activity_type=ActivityType.TEACHING,
            title=_("Case presented: %(case)s") % {"case": sc.case.title},
            provider=str(session.course.centre),
            tiet=PRESENTING_TIET,
            earned_on=timezone.localdate(session.ends_at),
            source=CreditSource.PLATFORM,
            presentation=sc,
        )
        audit_record(
            actor=None,
            action=AuditAction.CREATE,
            obj=credit,
            purpose="CME credit",
            detail={"tiet": str(credit.tiet), "presented": str(sc.case.public_id)},
        )
        made += 1
    return made


# --- the online room of a session -----------------------------------------------------------------


def _learners(session: TrainingSession) -> list[User]:
    return list(
        User.objects.filter(
            enrolments__course_id=session.course_id,
            enrolments__status__in=HOLDING_PLACE,
            is_active=True,
        ).distinct()
    )


def session_room_open(
    *, session: TrainingSession, actor: User, origin: AuditOrigin = SYSTEM
) -> VideoSession:
    """An organiser opens the platform's video room of a session held there: a teaching session
    (webinar) that the organiser hosts, with the course's learners invited as viewers — their
    join and leave times there are the session's attendance. Opening it again invites the
    learners enrolled since; another organiser is added and can be given the floor."""
    if not can_organise(actor, session.course.centre):
        raise PermissionDenied(_("Only the course's organisers open its room."))
    if session.mode != SessionMode.ROOM:
        raise ValidationError(_("This session is not held in the platform's video room."))
    if session.is_over:
        raise ValidationError(_("This session is over."))
    with transaction.atomic():
        locked = TrainingSession.objects.select_for_update().get(pk=session.pk)
        room = locked.video_session
        if room is not None and room.is_joinable:
            host = room.participants.active().filter(is_host=True).first()
            learners = _learners(locked)
            if host is not None and host.user_id == actor.pk:
                video_viewers_add(session=room, actor=actor, users=learners, origin=origin)
            else:
                video_viewers_add(session=room, actor=actor, users=[actor], origin=origin)
            return room
        if room is not None:
            raise ValidationError(_("This session's room has already ended."))
        room = video_teaching_schedule(
            actor=actor,
            title=f"{locked.course.title} · {locked.title}",
            scheduled_at=locked.starts_at,
            duration_minutes=min(max(locked.duration_minutes, 5), 480),
            viewers=_learners(locked),
            origin=origin,
        )
        locked.video_session = room
        locked.save(update_fields=["video_session", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=locked,
            purpose="video room opened",
            detail={"video_session": str(room.public_id)},
            origin=origin,
        )
    session.video_session = room
    return room


def session_room_enter(
    *, session: TrainingSession, user: User, origin: AuditOrigin = SYSTEM
) -> VideoSession:
    """A learner comes to the session's room: enrolled on the course, the room open. A learner
    enrolled after the organiser opened it is invited as a viewer now."""
    if not Enrolment.objects.filter(
        course_id=session.course_id, user=user, status__in=HOLDING_PLACE
    ).exists():
        raise PermissionDenied(_("Only learners enrolled on the course join its sessions."))
    room = session.video_session
    if room is None:
        raise ValidationError(_("The organiser has not opened the room yet; try again shortly."))
    if not room.is_joinable:
        raise ValidationError(_("This session's room has ended."))
    video_viewers_add(session=room, actor=user, users=[user], origin=origin)
    return room
