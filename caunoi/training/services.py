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
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from caunoi.accounts.models import User
from caunoi.audit.models import AuditAction
from caunoi.audit.origin import SYSTEM, AuditOrigin
from caunoi.audit.services import audit_record, record_step
from caunoi.consults.files import process_upload
from caunoi.consults.models import Consultation
from caunoi.consults.models import Status as ConsultStatus
from caunoi.network.models import Specialty
from caunoi.notifications.messages import in_each_language
from caunoi.notifications.services import notify
from caunoi.places.models import Province
from caunoi.training.access import audience_fits, can_organise, can_review_case
from caunoi.training.certificates import credential_claims, new_number, sign
from caunoi.training.deidentify import Known, age_band, redact, relative_day
from caunoi.training.models import (
    HOLDING_PLACE,
    Attendance,
    AttendanceInterval,
    AttendanceSource,
    CaseStatus,
    Certificate,
    CmeCredit,
    Course,
    CourseFormat,
    CourseStatus,
    CreditSource,
    Enrolment,
    EnrolmentStatus,
    SessionMode,
    TeachingCase,
    TeachingCaseImage,
    TrainingCentre,
    TrainingSession,
)
from caunoi.training.rules import presence
from caunoi.video.models import VideoJoin


@dataclass(frozen=True)
class SessionInput:
    title: str
    starts_at: datetime
    ends_at: datetime
    mode: str
    external_url: str = ""
    place: str = ""


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
    audience_provinces: Sequence[Province] = field(default_factory=list)


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


def _notify_enrolment(enrolment: Enrolment, message: str) -> None:
    course = enrolment.course
    notify(
        users=[enrolment.user],
        message=message,
        params={
            "course": in_each_language(lambda: course.title),
            "starts": _starts(course),
            "centre": course.centre.facility.name,
        },
        url=course.get_absolute_url(),
    )


def course_enrol(
    *,
    course: Course,
    actor: User,
    origin: AuditOrigin = SYSTEM,
) -> tuple[Enrolment, bool]:
    """Enrol ``actor`` on ``course``: a place while there is one, else the waiting list.
    Enrolling again answers the place already held (``False``) and changes nothing."""
    if course.status != CourseStatus.PUBLISHED:
        raise ValidationError(_("This course is not open for enrolment."))
    if course.ends_on is not None and course.ends_on < timezone.localdate():
        raise ValidationError(_("This course has ended."))
    if not audience_fits(actor, course):
        raise ValidationError(_("This course is for other professions or provinces than yours."))
    with transaction.atomic():
        locked = _lock_course(course)  # one enrolment at a time decides the last place
        existing = Enrolment.objects.filter(course=locked, user=actor).first()
        if existing is not None and existing.status != EnrolmentStatus.CANCELLED:
            return existing, False
        taken = Enrolment.objects.filter(course=locked, status__in=HOLDING_PLACE).count()
        status = EnrolmentStatus.ENROLLED if taken < locked.capacity else EnrolmentStatus.WAITLISTED
        enrolment = existing or Enrolment(course=locked, user=actor)
        enrolment.status = status
        enrolment.save()
        record_step(
            obj=enrolment,
            fields=None,
            kind=status,
            actor=actor,
            action=AuditAction.CREATE,
            purpose="training",
            audit_detail={"course": str(locked.public_id), "status": status},
            origin=origin,
        )
        enrolment.course = locked
        _notify_enrolment(
            enrolment,
            "training.enrolled" if status == EnrolmentStatus.ENROLLED else "training.waitlisted",
        )
    return enrolment, True


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
