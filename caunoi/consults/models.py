from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.expressions import Combinable
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caunoi.core.models import TimelineEvent, TimeStampedModel
from caunoi.patients.reads import PatientReadQuerySet
from caunoi.triage.engine import in_language


class Urgency(models.TextChoices):
    EMERGENCY = "emergency", _("emergency")
    URGENT = "urgent", _("urgent")
    ROUTINE = "routine", _("routine")


# Default response deadlines; each hub may set its own (HubSettings).
DEFAULT_DEADLINE_MINUTES = {Urgency.EMERGENCY: 30, Urgency.URGENT: 4 * 60, Urgency.ROUTINE: 48 * 60}


class Consciousness(models.TextChoices):
    """The ACVPU scale: alert, new confusion, voice, pain, unresponsive."""

    ALERT = "A", _("A: alert")
    CONFUSED = "C", _("C: new confusion")
    VOICE = "V", _("V: responds to voice")
    PAIN = "P", _("P: responds only to pain")
    UNRESPONSIVE = "U", _("U: unresponsive")


class Status(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("waiting for a specialist")
    ASSIGNED = "assigned", _("assigned to a specialist")
    ANSWERED = "answered", _("answered")
    CLOSED = "closed", _("closed")
    CANCELLED = "cancelled", _("cancelled")


OPEN_STATUSES = [Status.SUBMITTED, Status.ASSIGNED, Status.ANSWERED]


class Outcome(models.TextChoices):
    MANAGE_LOCALLY = "manage_locally", _("manage at the station")
    FOLLOW_UP = "follow_up", _("follow-up consultation")
    VIDEO = "video", _("live video consultation")
    REFER = "refer", _("refer the patient")


class HubSettings(models.Model):
    """A hub's response deadlines, in minutes, per urgency."""

    hub = models.OneToOneField(
        "network.Facility",
        verbose_name=_("hub hospital"),
        on_delete=models.CASCADE,
        related_name="consult_settings",
    )
    emergency_minutes = models.PositiveIntegerField(
        _("emergency: answer within (minutes)"), default=30, validators=[MinValueValidator(5)]
    )
    urgent_minutes = models.PositiveIntegerField(
        _("urgent: answer within (minutes)"), default=240, validators=[MinValueValidator(15)]
    )
    routine_minutes = models.PositiveIntegerField(
        _("routine: answer within (minutes)"), default=2880, validators=[MinValueValidator(60)]
    )

    class Meta:
        verbose_name = _("hub consultation settings")
        verbose_name_plural = _("hub consultation settings")

    def __str__(self) -> str:
        return str(self.hub)

    def minutes_for(self, urgency: str) -> int:
        return int(getattr(self, f"{urgency}_minutes"))


def deadline_minutes(hub_id: int, urgency: str) -> int:
    row = HubSettings.objects.filter(hub_id=hub_id).first()
    if row is not None:
        return row.minutes_for(urgency)
    return DEFAULT_DEADLINE_MINUTES[Urgency(urgency)]


class OnCallShiftQuerySet(models.QuerySet["OnCallShift"]):
    def at(self, moment: object) -> OnCallShiftQuerySet:
        return self.filter(starts_at__lte=moment, ends_at__gt=moment)


class OnCallShift(models.Model):
    """Who is on call at a hub, optionally for one specialty, from when to when."""

    hub = models.ForeignKey(
        "network.Facility",
        verbose_name=_("hub hospital"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("on call"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    specialty = models.ForeignKey(
        "network.Specialty",
        verbose_name=_("specialty"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: on call for every specialty."),
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))

    objects = OnCallShiftQuerySet.as_manager()

    class Meta:
        verbose_name = _("on-call shift")
        verbose_name_plural = _("on-call roster")
        ordering = ["hub", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="oncall_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.starts_at:%d/%m %H:%M}–{self.ends_at:%d/%m %H:%M}"


def _vital(
    label: Any, low: str, high: str, places: int = 1, digits: int = 5
) -> models.DecimalField[Decimal | float | str | Combinable | None, Decimal | None]:
    return models.DecimalField(
        label,
        max_digits=digits,
        decimal_places=places,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(low)), MaxValueValidator(Decimal(high))],
    )


# The clinical summary a station sends, in the order the form asks for it: the written part and
# the vital signs. The one list of these fields — the form, the service, the API and the pages
# read it from here.
SUMMARY_TEXT_FIELDS = ("reason", "history", "examination", "current_treatment", "question")
VITALS = (
    "temperature",
    "pulse",
    "systolic",
    "diastolic",
    "respiratory_rate",
    "spo2",
    "weight",
    "height",
    "glucose",
)
SUMMARY_FIELDS = (*SUMMARY_TEXT_FIELDS, *VITALS)


class ConsultationQuerySet(PatientReadQuerySet["Consultation"]):
    def open(self) -> ConsultationQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def for_hub(self, hub_ids: Iterable[int]) -> ConsultationQuerySet:
        return self.filter(hub_id__in=hub_ids)

    def overdue(self) -> ConsultationQuerySet:
        return self.open().filter(first_response_at__isnull=True, deadline_at__lt=timezone.now())


class Consultation(TimeStampedModel):
    """A store-and-forward teleconsultation (hội chẩn tư vấn từ xa, Circular 49/2017).

    Vital signs are bounded by what a living patient can have: a typo such as 60 °C or
    300/20 mmHg is refused at entry instead of misleading the specialist.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The client-generated id of the submission: the same id twice is one consult.
    client_id = models.UUIDField(_("submission id"), editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="consultations_requested",
    )
    requester_facility = models.ForeignKey(
        "network.Facility",
        verbose_name=_("requesting facility"),
        on_delete=models.PROTECT,
        related_name="consultations_requested",
    )
    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    specialty = models.ForeignKey(
        "network.Specialty", verbose_name=_("specialty"), on_delete=models.PROTECT, related_name="+"
    )
    urgency = models.CharField(
        _("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )

    reason = models.TextField(_("reason for the consultation"), blank=True)
    history = models.TextField(_("history"), blank=True)
    examination = models.TextField(_("examination findings"), blank=True)
    current_treatment = models.TextField(_("current treatment"), blank=True)
    question = models.TextField(_("question to the specialist"), blank=True)
    temperature = _vital(_("temperature (°C)"), "30", "45", 1, 4)
    pulse = _vital(_("pulse (beats/min)"), "20", "250", 0, 3)
    systolic = _vital(_("systolic blood pressure (mmHg)"), "50", "260", 0, 3)
    diastolic = _vital(_("diastolic blood pressure (mmHg)"), "20", "160", 0, 3)
    respiratory_rate = _vital(_("respiratory rate (breaths/min)"), "4", "80", 0, 3)
    spo2 = _vital(_("SpO₂ (%)"), "50", "100", 0, 3)
    weight = _vital(_("weight (kg)"), "0.3", "300", 1, 4)
    height = _vital(_("height (cm)"), "20", "250", 1, 4)
    glucose = _vital(_("blood glucose (mmol/L)"), "1", "50", 1, 3)
    consciousness = models.CharField(
        _("consciousness (AVPU)"), max_length=1, choices=Consciousness.choices, blank=True
    )
    # The danger signs the station ticked (ids of caunoi/triage's rule set), and the check of
    # the rules as the server ran it when the consult was last saved: its version, the signs
    # that fired with their words, the score and the measurements that would have helped.
    signs_found = models.JSONField(_("signs found"), default=list, blank=True)
    triage = models.JSONField(_("danger-sign check"), default=dict, blank=True, editable=False)
    # The urgency the signs implied ("" when none fired), and why the station sent it lower.
    triage_urgency = models.CharField(
        _("urgency the signs imply"),
        max_length=16,
        choices=Urgency.choices,
        blank=True,
        editable=False,
    )
    urgency_reason = models.TextField(_("why the urgency is lower than the signs"), blank=True)

    hub = models.ForeignKey(
        "network.Facility",
        verbose_name=_("hub hospital"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations_received",
    )
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("specialist"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations_assigned",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    deadline_at = models.DateTimeField(_("answer due"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("advice given at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    advice = models.TextField(_("advice"), blank=True)
    diagnoses = models.ManyToManyField(
        "codes.IcdCode", verbose_name=_("working diagnosis (ICD-10)"), blank=True, related_name="+"
    )
    recommended_outcome = models.CharField(
        _("recommended outcome"), max_length=16, choices=Outcome.choices, blank=True
    )
    # The protocol versions the specialist cites in the advice (the worker sees their links).
    cited_protocols = models.ManyToManyField(
        "protocols.ProtocolVersion",
        verbose_name=_("protocols cited"),
        blank=True,
        related_name="citations",
    )
    action_taken = models.TextField(_("what was done"), blank=True)

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["hub", "status", "deadline_at"]),
            models.Index(fields=["requester_facility", "-updated_at"]),
            models.Index(fields=["specialist", "-updated_at"]),
            models.Index(fields=["updated_at"], name="consult_updated_idx"),
            models.Index(fields=["status", "first_response_at", "deadline_at"]),
            # The specialty queues: waiting and unassigned, by hub and specialty, oldest due first.
            models.Index(
                fields=["hub", "specialty", "deadline_at"],
                condition=Q(status="submitted", specialist__isnull=True),
                name="consult_waiting_idx",
            ),
            # "My consultations" (selectors.WorkList): each arm read in the list's order, so
            # that the first page costs a few index entries instead of a sort of every match.
            models.Index(
                fields=["requester_facility", "-updated_at", "-id"],
                condition=~Q(status="cancelled"),
                name="consult_mine_facility_idx",
            ),
            # With the requesting facility at hand, the count of the assigned cases is read
            # from the index alone (index-only scan) instead of from thousands of table rows.
            models.Index(
                fields=["specialist", "hub", "-updated_at", "-id"],
                include=["requester_facility"],
                condition=Q(specialist__isnull=False) & ~Q(status="cancelled"),
                name="consult_mine_specialist_idx",
            ),
            # Triage and the overdue lists: open consults still without a first response.
            models.Index(
                fields=["hub", "deadline_at"],
                condition=Q(
                    status__in=["submitted", "assigned", "answered"], first_response_at__isnull=True
                ),
                name="consult_unanswered_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "client_id"], name="consultation_submission_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="consultation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(urgency__in=Urgency.values), name="consultation_urgency_valid"
            ),
            models.CheckConstraint(
                condition=Q(triage_urgency__in=["", *Urgency.values]),
                name="consultation_triage_urgency_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(status="cancelled") | Q(hub__isnull=False),
                name="consultation_routed_when_submitted",
            ),
            models.CheckConstraint(
                condition=Q(systolic__isnull=True)
                | Q(diastolic__isnull=True)
                | Q(systolic__gt=models.F("diastolic")),
                name="consultation_bp_ordered",
                violation_error_message=_(
                    "The systolic pressure must be higher than the diastolic."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.specialty} · {self.patient} · {self.get_status_display()}"

    def clean(self) -> None:
        # The services validate with ``validate_constraints=False``: Django checks each
        # CheckConstraint with a query in a savepoint (12 round trips per submission); the one
        # a person can break is checked here, the rest hold in the database.
        if (
            self.systolic is not None
            and self.diastolic is not None
            and self.systolic <= self.diastolic
        ):
            raise ValidationError(
                {"systolic": _("The systolic pressure must be higher than the diastolic.")}
            )

    def get_absolute_url(self) -> str:
        return reverse("consults:detail", kwargs={"public_id": self.public_id})

    @property
    def has_danger_signs(self) -> bool:
        return bool(self.triage_urgency)

    @property
    def triage_signs(self) -> list[dict[str, Any]]:
        signs: list[dict[str, Any]] = (self.triage or {}).get("signs", [])
        return signs

    def danger_sign_labels(self) -> list[str]:
        """The signs that fired when it was sent, in the reader's language."""
        return [in_language(s["label"]) for s in self.triage_signs]

    @property
    def urgency_lowered(self) -> bool:
        order = {Urgency.ROUTINE: 0, Urgency.URGENT: 1, Urgency.EMERGENCY: 2}
        return (
            bool(self.triage_urgency)
            and order[Urgency(self.urgency)] < order[Urgency(self.triage_urgency)]
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return (
            self.is_open
            and self.first_response_at is None
            and self.deadline_at is not None
            and self.deadline_at < timezone.now()
        )

    @property
    def answered_in_time(self) -> bool | None:
        if self.first_response_at is None or self.deadline_at is None:
            return None
        return self.first_response_at <= self.deadline_at

    def time_left(self) -> timedelta | None:
        if self.deadline_at is None or self.first_response_at is not None:
            return None
        return self.deadline_at - timezone.now()


class ParticipantVia(models.TextChoices):
    SECOND_OPINION = "second_opinion", _("second opinion")
    VIDEO = "video", _("video session")


class CaseParticipantQuerySet(models.QuerySet["Participant"]):
    def active(self) -> CaseParticipantQuerySet:
        """Grants that still give sight of the case: not ended, not past their end."""
        return self.filter(removed_at__isnull=True).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now())
        )


class Participant(models.Model):
    """Someone brought into one consultation beyond its hub and requester: a second opinion
    (lasting), or a guest of a video session about it (only while the session runs; removal
    from the session or its end closes the grant). Who may bring whom is ruled in one place,
    ``consults.access.case_invite_check``."""

    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="participants",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    invited_at = models.DateTimeField(_("invited at"), default=timezone.now)
    via = models.CharField(
        _("brought in by"),
        max_length=16,
        choices=ParticipantVia.choices,
        default=ParticipantVia.SECOND_OPINION,
    )
    # The video session a guest was invited to (its public id: consults sits below video).
    video_session = models.UUIDField(_("video session"), null=True, blank=True)
    ends_at = models.DateTimeField(_("access ends at"), null=True, blank=True)
    removed_at = models.DateTimeField(_("access ended at"), null=True, blank=True)

    objects = CaseParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = _("invited participant")
        verbose_name_plural = _("invited participants")
        ordering = ["invited_at"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "user"], name="participant_once"),
            models.CheckConstraint(
                condition=Q(via__in=ParticipantVia.values), name="participant_via_valid"
            ),
            models.CheckConstraint(
                condition=Q(via=ParticipantVia.SECOND_OPINION) | Q(video_session__isnull=False),
                name="participant_video_names_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.consultation_id}"


class Message(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("in reply to"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
    )
    body = models.TextField(_("message"))
    client_id = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_id"],
                condition=Q(client_id__isnull=False),
                name="message_submission_once",
            )
        ]

    def __str__(self) -> str:
        return self.body[:60]


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"consults/{instance.consultation.public_id}/{filename}"


class AttachmentKind(models.TextChoices):
    IMAGE = "image", _("image")
    PDF = "pdf", _("PDF document")


class Attachment(models.Model):
    """A photo or document of a consultation. Files are served only through an access check,
    never from a public URL; images are re-encoded without EXIF (GPS included)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    message = models.ForeignKey(
        Message,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    thumbnail = models.FileField(
        _("thumbnail"), upload_to=attachment_path, max_length=300, blank=True
    )
    original_name = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=8, choices=AttachmentKind.choices)
    content_type = models.CharField(_("type"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]
        constraints = [
            # A retry of the same upload to the same consult keeps one copy.
            models.UniqueConstraint(
                fields=["consultation", "sha256"], name="attachment_once_per_consult"
            )
        ]

    def __str__(self) -> str:
        return self.original_name


def pending_path(instance: PendingUpload, filename: str) -> str:
    return f"pending/{instance.owner_id}/{instance.client_id}/{filename}"


# How long a file sent with a consult form that came back with an error waits for the form to be
# sent again (a worker may finish the form after the clinic, or the next morning).
PENDING_UPLOAD_HOURS = 24


class PendingUploadQuerySet(PatientReadQuerySet["PendingUpload"]):
    def expired(self, now: Any = None) -> PendingUploadQuerySet:
        return self.filter(expires_at__lte=now or timezone.now())


class PendingUpload(models.Model):
    """A photo or document sent with a consult form that came back with an error: checked and
    re-encoded exactly as an attachment is, kept for the form (its ``client_id``) and the person
    who sent it, so that a slow link does not carry it twice; attached to the consult when the
    form is saved or sent, removed when it expires. Served only to its owner, through an access
    check, like attachments."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    patient = models.ForeignKey(
        "patients.Patient", verbose_name=_("patient"), on_delete=models.CASCADE, related_name="+"
    )
    client_id = models.UUIDField(_("form"))
    file = models.FileField(_("file"), upload_to=pending_path, max_length=300)
    thumbnail = models.FileField(_("thumbnail"), upload_to=pending_path, max_length=300, blank=True)
    original_name = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=8, choices=AttachmentKind.choices)
    content_type = models.CharField(_("type"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    expires_at = models.DateTimeField(_("kept until"))

    objects = PendingUploadQuerySet.as_manager()

    class Meta:
        verbose_name = _("file waiting for its consultation")
        verbose_name_plural = _("files waiting for their consultation")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["owner", "client_id"], name="pending_upload_form_idx"),
            models.Index(fields=["expires_at"], name="pending_upload_expiry_idx"),
        ]
        constraints = [
            # The same photo sent again with the same form keeps one copy.
            models.UniqueConstraint(
                fields=["owner", "client_id", "sha256"], name="pending_upload_once_per_form"
            )
        ]

    def __str__(self) -> str:
        return self.original_name


# How long a resumable upload may stay unfinished: a worker whose link fell in the afternoon
# resumes it the next morning.
RESUMABLE_UPLOAD_HOURS = 24


class ResumableUpload(models.Model):
    """A file on its way to a consult form in pieces (the tus 1.0 protocol, ``resumable.py``):
    how many bytes of it have arrived (``offset``), kept on disk until the last one does. The
    whole file's SHA-256, given when the upload is created, is checked when it is complete;
    only then is the file checked as an attachment is and kept for the form (``pending``). Only
    its owner sees it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    patient = models.ForeignKey(
        "patients.Patient", verbose_name=_("patient"), on_delete=models.CASCADE, related_name="+"
    )
    client_id = models.UUIDField(_("form"))
    name = models.CharField(_("file name"), max_length=200)
    length = models.PositiveBigIntegerField(_("size (bytes)"))
    offset = models.PositiveBigIntegerField(_("bytes received"), default=0)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    expires_at = models.DateTimeField(_("kept until"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    pending = models.ForeignKey(
        PendingUpload,
        verbose_name=_("kept file"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("resumable upload")
        verbose_name_plural = _("resumable uploads")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["expires_at"], name="resumable_upload_expiry_idx")]

    def __str__(self) -> str:
        return self.name


class ConsultationEventKind(models.TextChoices):
    CREATED = "created", _("draft created")
    SUBMITTED = "submitted", _("submitted")
    ROUTED = "routed", _("routed to a hub")
    REROUTED = "rerouted", _("re-routed")
    ASSIGNED = "assigned", _("assigned")
    CLAIMED = "claimed", _("taken by a specialist")
    MESSAGE = "message", _("message")
    ATTACHMENT = "attachment", _("attachment added")
    INVITED = "invited", _("second opinion invited")
    ADVICE = "advice", _("advice given")
    ESCALATED = "escalated", _("overdue: escalated")
    VIDEO = "video", _("video session scheduled")
    CLOSED = "closed", _("closed")
    CANCELLED = "cancelled", _("cancelled")


class ConsultationEvent(TimelineEvent):
    """The consultation's timeline: every step, when and by whom."""

    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(_("event"), max_length=16, choices=ConsultationEventKind.choices)

    class Meta(TimelineEvent.Meta):
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
