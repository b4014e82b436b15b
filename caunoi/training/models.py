"""Tele-education and continuing medical education (CME): training centres, courses, their
sessions, enrolments, attendance and the ledger of lesson periods (tiết).

Circular 32/2023/TT-BYT: only designated units certify continuing education (a
``TrainingCentre`` carries its CME provider code); a health worker needs at least 120 tiết in
any five consecutive years (``rules.cme_status``; the README says how the window is read).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from caunoi.core.models import TimelineEvent, TimeStampedModel
from caunoi.core.text import fold

# The share of a session a participant must attend to count as present (BigBlueButton's
# learning dashboards and iECHO both count attendance above a share, not a click).
DEFAULT_PRESENCE_SHARE = Decimal("0.80")
MAX_TIET = Decimal(200)


class TrainingCentre(TimeStampedModel):
    """A unit designated to provide continuing education: a hub hospital or a provincial
    centre, with the code under which its certificates count (Circular 32/2023/TT-BYT)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    facility = models.OneToOneField(
        "network.Facility",
        verbose_name=_("facility"),
        on_delete=models.PROTECT,
        related_name="training_centre",
    )
    cme_provider_code = models.CharField(
        _("CME provider code"),
        max_length=32,
        unique=True,
        help_text=_("The code under which this unit is designated to certify CME."),
    )
    signer_name = models.CharField(_("certificates signed by"), max_length=200, blank=True)
    signer_title = models.CharField(
        _("signer's title"), max_length=200, blank=True, default="Giám đốc"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("training centre")
        verbose_name_plural = _("training centres")
        ordering = ["facility__name"]

    def __str__(self) -> str:
        return f"{self.facility.name} ({self.cme_provider_code})"


class CourseFormat(models.TextChoices):
    LIVE_ONLINE = "live_online", _("live online")
    RECORDED = "recorded", _("recorded")
    IN_PERSON = "in_person", _("in person")
    BLENDED = "blended", _("blended")


class CourseStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    CANCELLED = "cancelled", _("cancelled")


class ActivityType(models.TextChoices):
    """The forms of continuing education that add up (Circular 32/2023/TT-BYT, Arts. 4–7)."""

    COURSE = "course", _("course")
    CONFERENCE = "conference", _("conference or seminar")
    SELF_STUDY = "self_study", _("self-study with assessment")
    TEACHING = "teaching", _("teaching or presenting")
    CASE_BASED = "case_based", _("case-based learning")


class CourseQuerySet(models.QuerySet["Course"]):
    def published(self) -> CourseQuerySet:
        return self.filter(status=CourseStatus.PUBLISHED)

    def search(self, query: str) -> CourseQuerySet:
        qs = self
        for term in fold(query).split():
            qs = qs.filter(search_text__contains=term)
        return qs


class Course(TimeStampedModel):
    """A course a training centre publishes: what it teaches, to whom, in what form, and how
    many tiết completing it is worth."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        TrainingCentre,
        verbose_name=_("training centre"),
        on_delete=models.PROTECT,
        related_name="courses",
    )
    title_vi = models.CharField(_("title (Vietnamese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    specialty = models.ForeignKey(
        "network.Specialty",
        verbose_name=_("specialty"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    format = models.CharField(_("format"), max_length=16, choices=CourseFormat.choices)
    activity_type = models.CharField(
        _("CME activity"), max_length=16, choices=ActivityType.choices, default=ActivityType.COURSE
    )
    tiet = models.DecimalField(
        _("lesson periods (tiết)"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(MAX_TIET)],
    )
    capacity = models.PositiveIntegerField(
        _("places"), validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )
    # Stored as ",nurse,midwife," so that "for my profession" is an indexable LIKE on both
    # databases (SQLite has no JSON containment); ``professions`` reads it as a list.
    audience_professions = models.CharField(
        _("for professions"),
        max_length=300,
        blank=True,
        help_text=_("Empty: every profession."),
    )
    # The technical levels of the learners' facilities (ban đầu, cơ bản, chuyên sâu), stored
    # like the professions.
    audience_levels = models.CharField(
        _("for technical levels"),
        max_length=60,
        blank=True,
        help_text=_("Empty: every level."),
    )
    audience_provinces = models.ManyToManyField(
        "places.Province",
        verbose_name=_("for provinces"),
        blank=True,
        related_name="+",
        help_text=_("Empty: every province."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CourseStatus.choices, default=CourseStatus.DRAFT
    )
    starts_on = models.DateField(_("first session"), null=True, blank=True)
    ends_on = models.DateField(_("last session"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    search_text = models.CharField(max_length=500, editable=False, db_index=True)
    # The Idempotency-Key of the request that published it: the same request again answers
    # the same course.
    client_id = models.UUIDField(null=True, blank=True, editable=False)

    objects = CourseQuerySet.as_manager()

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["starts_on", "id"]
        indexes = [models.Index(fields=["status", "starts_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(tiet__gte=Decimal("0.5")) & Q(tiet__lte=MAX_TIET),
                name="course_tiet_in_range",
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="course_capacity_positive"),
            models.UniqueConstraint(
                fields=["created_by", "client_id"],
                condition=Q(client_id__isnull=False),
                name="course_published_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_text = fold(f"{self.title_vi} {self.title_en}")[:500]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def professions(self) -> list[str]:
        return [p for p in self.audience_professions.split(",") if p]

    @professions.setter
    def professions(self, values: list[str]) -> None:
        chosen = sorted(set(values))
        self.audience_professions = f",{','.join(chosen)}," if chosen else ""

    @property
    def levels(self) -> list[str]:
        return [v for v in self.audience_levels.split(",") if v]

    @levels.setter
    def levels(self, values: list[str]) -> None:
        chosen = sorted(set(values))
        self.audience_levels = f",{','.join(chosen)}," if chosen else ""

    @property
    def level_labels(self) -> list[str]:
        from caunoi.network.models import TechnicalLevel

        labels = dict(TechnicalLevel.choices)
        return [str(labels.get(v, v)) for v in self.levels]

    @property
    def profession_labels(self) -> list[str]:
        from caunoi.network.models import Profession

        labels = dict(Profession.choices)
        return [str(labels.get(p, p)) for p in self.professions]

    @property
    def title(self) -> str:
        if get_language() == "en" and self.title_en:
            return self.title_en
        return self.title_vi

    def get_absolute_url(self) -> str:
        return reverse("training:course", kwargs={"public_id": self.public_id})


class SessionMode(models.TextChoices):
    ROOM = "room", _("in the platform's video room")
    EXTERNAL = "external", _("by an external meeting link")
    IN_PERSON = "in_person", _("in person")


class TrainingSession(TimeStampedModel):
    """One meeting of a course. An online session opens a room of the platform's video app
    (``video_room``: today's mesh serves a small group; an SFU can sit behind the same name)
    or an external meeting link; an in-person session checks attendees in by QR code."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="sessions"
    )
    title = models.CharField(_("session title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    mode = models.CharField(_("where"), max_length=16, choices=SessionMode.choices)
    external_url = models.URLField(_("meeting link"), blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    # The video app's room for a session held there: its joins (join/leave times, whatever
    # server carries the media) are the attendance record.
    video_session = models.OneToOneField(
        "video.VideoSession",
        verbose_name=_("video room"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="training_session",
    )
    presence_share = models.DecimalField(
        _("share of the session needed to count as present"),
        max_digits=3,
        decimal_places=2,
        default=DEFAULT_PRESENCE_SHARE,
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal(1))],
    )
    # The secret behind the check-in QR code (in-person sessions): a scan proves presence only
    # with the current code the organiser shows.
    checkin_secret = models.CharField(max_length=64, default="", editable=False)
    attendance_computed_at = models.DateTimeField(
        _("attendance computed at"), null=True, blank=True
    )
    reminded_at = models.DateTimeField(_("learners reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(
                fields=["starts_at"],
                condition=Q(reminded_at__isnull=True),
                name="session_to_remind_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.course} · {self.title}"

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_over(self) -> bool:
        return self.ends_at <= timezone.now()

    def get_absolute_url(self) -> str:
        """The organisers' page of the session (attendance, check-in code)."""
        return reverse("training:session", kwargs={"public_id": self.public_id})

    @property
    def video_room(self) -> str:
        """The room name the video app serves for this session."""
        return f"training-{self.public_id}"


def material_path(instance: CourseMaterial, filename: str) -> str:
    return f"training/{instance.course.public_id}/{uuid.uuid4().hex}"


class CourseMaterial(models.Model):
    """A reading, slides or a recording of a course: a file (checked by content, like every
    upload) or a link. Its learners and organisers read it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="materials"
    )
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link"), blank=True)
    file = models.FileField(_("file"), upload_to=material_path, max_length=300, blank=True)
    content_type = models.CharField(max_length=100, blank=True, editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("course material")
        verbose_name_plural = _("course materials")
        ordering = ["added_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(url="") & ~Q(file="")) | (~Q(url="") & Q(file="")),
                name="material_file_or_link",
            )
        ]

    def __str__(self) -> str:
        return self.title


class AssessmentQuestion(models.Model):
    """A multiple-choice question of a course's test. The same questions are the pre-test
    (before the first session) and the post-test (after the last): the difference is what
    the course taught."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(_("number"))
    text = models.CharField(_("question"), max_length=500)
    choices = models.JSONField(_("answers to choose from"))
    answer = models.PositiveSmallIntegerField(_("the right answer (from 0)"))

    class Meta:
        verbose_name = _("test question")
        verbose_name_plural = _("test questions")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "position"], name="question_position_once")
        ]

    def __str__(self) -> str:
        return self.text


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("enrolled")
    WAITLISTED = "waitlisted", _("on the waiting list")
    CANCELLED = "cancelled", _("cancelled")
    COMPLETED = "completed", _("completed")


# The enrolments that hold one of the course's places (the waiting list holds none).
HOLDING_PLACE = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED)


class Enrolment(TimeStampedModel):
    """A person's place on a course: enrolled (within capacity), on the waiting list, cancelled
    or completed. One row per person and course: enrolling again answers the same row."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="enrolments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.PROTECT,
        related_name="enrolments",
    )
    status = models.CharField(_("status"), max_length=16, choices=EnrolmentStatus.choices)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("nominated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="enrolment_once"),
        ]
        indexes = [models.Index(fields=["course", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.course}"


class AssessmentKind(models.TextChoices):
    PRE = "pre", _("pre-test")
    POST = "post", _("post-test")


class AssessmentAttempt(TimeStampedModel):
    """A learner's answers to the course's test, before or after it, and their score. Once
    each: the attempt keeps the score and the session it was taken at. The learner
    and the organisers see it; heads and officers do not (Circular 32's summaries are counts)."""

    enrolment = models.ForeignKey(
        "Enrolment", verbose_name=_("enrolment"), on_delete=models.CASCADE, related_name="attempts"
    )
    kind = models.CharField(_("test"), max_length=8, choices=AssessmentKind.choices)
    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("session"),
        on_delete=models.PROTECT,
        related_name="test_attempts",
    )
    answers = models.JSONField(_("answers"))
    correct = models.PositiveSmallIntegerField(_("right answers"))
    total = models.PositiveSmallIntegerField(_("questions"))
    score = models.DecimalField(_("score (%)"), max_digits=4, decimal_places=1)

    class Meta:
        verbose_name = _("test attempt")
        verbose_name_plural = _("test attempts")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "kind"], name="test_taken_once"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} · {self.kind} · {self.score}"


class SessionEvaluation(TimeStampedModel):
    """A learner's short evaluation of a session: how useful (1–5), whether it fits their
    work, and a comment. Organisers read them without names."""

    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="evaluations",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    rating = models.PositiveSmallIntegerField(
        _("how useful (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    relevant = models.BooleanField(_("fits my daily work"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("session evaluation")
        verbose_name_plural = _("session evaluations")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="evaluation_once"),
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="evaluation_rating_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.rating}"


class EnrolmentEvent(TimelineEvent):
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="events", verbose_name=_("enrolment")
    )

    class Meta(TimelineEvent.Meta):
        verbose_name = _("enrolment event")
        verbose_name_plural = _("enrolment events")


class AttendanceSource(models.TextChoices):
    VIDEO = "video", _("video room")
    QR = "qr", _("QR check-in")
    ROLL_CALL = "roll_call", _("roll call")


class AttendanceInterval(models.Model):
    """A stretch of time a person was in a session, as it was recorded (joined and left the
    video room; checked in on site). Presence is computed from these, never typed."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="intervals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    joined_at = models.DateTimeField(_("joined at"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    source = models.CharField(_("recorded by"), max_length=16, choices=AttendanceSource.choices)

    class Meta:
        verbose_name = _("attendance interval")
        verbose_name_plural = _("attendance intervals")
        ordering = ["joined_at", "id"]
        indexes = [models.Index(fields=["session", "user"])]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.joined_at:%Y-%m-%d %H:%M}"


class Attendance(TimeStampedModel):
    """A person's attendance of one session: the time recorded, its share of the session,
    whether that counts as present — and, when the organiser corrected it, why."""

    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="attendance",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("participant"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    seconds = models.PositiveIntegerField(_("time attended (seconds)"), default=0)
    share = models.DecimalField(_("share of the session"), max_digits=4, decimal_places=3)
    present = models.BooleanField(_("present"))
    corrected_present = models.BooleanField(_("corrected to present"), null=True, blank=True)
    correction_reason = models.CharField(_("reason for the correction"), max_length=300, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("corrected by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.session}"

    @property
    def counts_as_present(self) -> bool:
        return self.present if self.corrected_present is None else self.corrected_present


class CreditSource(models.TextChoices):
    PLATFORM = "platform", _("recorded on the platform")
    SELF_DECLARED = "self_declared", _("self-declared")


def evidence_path(instance: CmeCredit, filename: str) -> str:
    return f"cme-evidence/{uuid.uuid4().hex}"


class CmeCredit(TimeStampedModel):
    """Lesson periods (tiết) a person earned: from a course completed here, or declared with
    evidence from elsewhere (counted once verified)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("health worker"),
        on_delete=models.PROTECT,
        related_name="cme_credits",
    )
    activity_type = models.CharField(_("CME activity"), max_length=16, choices=ActivityType.choices)
    title = models.CharField(_("activity"), max_length=200)
    provider = models.CharField(_("provided by"), max_length=200)
    tiet = models.DecimalField(
        _("lesson periods (tiết)"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(MAX_TIET)],
    )
    earned_on = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=16, choices=CreditSource.choices)
    course = models.ForeignKey(
        Course,
        verbose_name=_("course"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credits",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    # Activities from elsewhere: the scanned certificate, who checked it and what they said.
    evidence = models.FileField(_("evidence"), upload_to=evidence_path, max_length=300, blank=True)
    evidence_type = models.CharField(max_length=100, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    declined_at = models.DateTimeField(_("not accepted at"), null=True, blank=True)
    review_note = models.CharField(_("note of the check"), max_length=300, blank=True)
    # A case presented in a session earns its presenter tiết of teaching (once).
    presentation = models.OneToOneField(
        "SessionCase",
        verbose_name=_("case presented"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit",
    )
    # The Idempotency-Key of the declaration: the same form sent twice records it once.
    client_id = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("CME credit")
        verbose_name_plural = _("CME credits")
        ordering = ["-earned_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"],
                condition=Q(course__isnull=False),
                name="cme_credit_once_per_course",
            ),
            models.CheckConstraint(
                condition=Q(tiet__gte=Decimal("0.5")) & Q(tiet__lte=MAX_TIET),
                name="cme_credit_tiet_in_range",
            ),
            models.UniqueConstraint(
                fields=["user", "client_id"],
                condition=Q(client_id__isnull=False),
                name="cme_credit_declared_once",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "earned_on"]),
            models.Index(
                fields=["created_at"],
                condition=Q(
                    source="self_declared", verified_at__isnull=True, declined_at__isnull=True
                ),
                name="cme_credit_to_check_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.title} · {self.tiet}"

    @property
    def counts(self) -> bool:
        return self.source == CreditSource.PLATFORM or self.verified_at is not None

    @property
    def awaiting_check(self) -> bool:
        return (
            self.source == CreditSource.SELF_DECLARED
            and self.verified_at is None
            and self.declined_at is None
        )


class CmeProfile(TimeStampedModel):
    """When a health worker's CME obligation started: the date their practising licence was
    issued. Without one the ledger counts from the day the platform first knew them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("health worker"),
        on_delete=models.CASCADE,
        related_name="cme_profile",
    )
    licence_issued_on = models.DateField(_("practising licence issued on"))
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)

    class Meta:
        verbose_name = _("CME profile")
        verbose_name_plural = _("CME profiles")

    def __str__(self) -> str:
        return f"{self.user} · {self.licence_issued_on:%d/%m/%Y}"


class CmeStanding(models.Model):
    """A person's standing against the 120-tiết rule, kept so that a summary of thousands of
    staff is one read instead of every credit (``selectors.cme_standings``). Computed on
    ``computed_on``, it holds for every later day until something changes: with no new credit
    the window only loses credits, so the person is short from ``deadline`` on and warned in the
    year before. It is recomputed when the credits it was made from (their number, the newest
    change), the date the obligation started, or a credit dated after ``computed_on`` differ
    from what it saw."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("health worker"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="cme_standing",
    )
    computed_on = models.DateField()
    since = models.DateField()
    deadline = models.DateField()
    credits = models.PositiveIntegerField()
    credits_changed_at = models.DateTimeField(null=True)
    next_credit_on = models.DateField(null=True)

    class Meta:
        verbose_name = _("CME standing")
        verbose_name_plural = _("CME standings")

    def __str__(self) -> str:
        return f"{self.user_id} · {self.deadline:%d/%m/%Y}"


class Certificate(TimeStampedModel):
    """The certificate of a completed course (Circular 32/2023/TT-BYT, Appendix II): a number
    anyone can verify on the public page, and the same facts as a signed credential (W3C
    Verifiable Credential / Open Badges 3.0, as a JWS: ``certificates.py``)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("certificate number"), max_length=16, unique=True)
    credit = models.OneToOneField(
        CmeCredit,
        verbose_name=_("CME credit"),
        on_delete=models.PROTECT,
        related_name="certificate",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="certificates"
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    credential = models.TextField(_("signed credential"), editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason for revoking"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None

    def get_absolute_url(self) -> str:
        return reverse("training:certificate", kwargs={"public_id": self.public_id})

    def get_verify_url(self) -> str:
        return reverse("certificate_verify", kwargs={"number": self.number})


class CaseStatus(models.TextChoices):
    PROPOSED = "proposed", _("awaiting review")
    APPROVED = "approved", _("approved for teaching")
    REJECTED = "rejected", _("not approved")


def teaching_image_path(instance: TeachingCaseImage, filename: str) -> str:
    return f"teaching/{instance.case.public_id}/{uuid.uuid4().hex}.jpg"


class TeachingCase(TimeStampedModel):
    """A closed consultation made into a lesson (Project ECHO's case presentations): a
    de-identified copy — no name, ID, insurance or phone number, address or exact date; age as
    a band, days relative to the request — that a reviewer at the hub approves before anyone
    is taught with it. It keeps no path back to the record for its readers: the link to the
    consultation is for the proposer, the reviewers and the audit, never shown to learners."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    consultation = models.OneToOneField(
        "consults.Consultation",
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="teaching_case",
    )
    hub = models.ForeignKey(
        "network.Facility", verbose_name=_("hub"), on_delete=models.PROTECT, related_name="+"
    )
    specialty = models.ForeignKey(
        "network.Specialty", verbose_name=_("specialty"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.PROPOSED
    )
    title = models.CharField(_("title"), max_length=200)
    age_band = models.CharField(_("age"), max_length=40)
    sex = models.CharField(_("sex"), max_length=8)
    presentation = models.TextField(_("presentation"))
    question = models.TextField(_("question asked"), blank=True)
    advice = models.TextField(_("the hub's advice"), blank=True)
    diagnoses = models.CharField(_("diagnoses (ICD-10)"), max_length=300, blank=True)
    course_of_care = models.TextField(_("course of care"), blank=True)
    redactions = models.PositiveIntegerField(_("passages hidden"), default=0)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("teaching case")
        verbose_name_plural = _("teaching cases")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("training:case", kwargs={"public_id": self.public_id})


class TeachingCaseImage(models.Model):
    """A photo of the consultation, re-encoded without any metadata, which the reviewer
    confirms shows no face or identifying mark before the case is approved."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        TeachingCase, on_delete=models.CASCADE, related_name="images", verbose_name=_("case")
    )
    file = models.FileField(_("file"), upload_to=teaching_image_path, max_length=300)
    confirmed = models.BooleanField(_("shows no face or identifying mark"), default=False)

    class Meta:
        verbose_name = _("teaching case image")
        verbose_name_plural = _("teaching case images")
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.public_id)


class SessionCase(models.Model):
    """An approved teaching case presented in a session (ECHO's case presentation): its
    presenter earns tiết of teaching once the session is over and they were there."""

    session = models.ForeignKey(
        TrainingSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="cases"
    )
    case = models.ForeignKey(
        TeachingCase,
        verbose_name=_("teaching case"),
        on_delete=models.PROTECT,
        related_name="presentations",
    )
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("presenter"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("case presented")
        verbose_name_plural = _("cases presented")
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "case"], name="case_presented_once"),
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.case}"
