from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caunoi.core.models import TimeStampedModel
from caunoi.patients.reads import PatientReadQuerySet

# A mesh sends every stream to every other participant: beyond six people a commune station's
# uplink cannot carry it. A selective forwarding unit would lift this (see README.md).
MAX_PARTICIPANTS = 6


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    LIVE = "live", _("live")
    ENDED = "ended", _("ended")
    CANCELLED = "cancelled", _("cancelled")


class SessionKind(models.TextChoices):
    CONSULT = "consult", _("consult or case conference")
    TEACHING = "teaching", _("teaching session")


class ParticipantRole(models.TextChoices):
    SPEAKER = "speaker", _("speaker")
    VIEWER = "viewer", _("viewer")


class MessageKind(models.TextChoices):
    CHAT = "chat", _("chat")
    QUESTION = "question", _("question")


# A teaching session (webinar): up to three speakers at once (the host among them) publish;
# everyone else watches without publishing, raises a hand, asks questions.
TEACHING_MAX_SPEAKERS = 3
TEACHING_MAX_VIEWERS = 300


class VideoSessionQuerySet(PatientReadQuerySet["VideoSession"]):
    patient_path = "consultation__patient"

    def joinable(self) -> VideoSessionQuerySet:
        return self.filter(status__in=[SessionStatus.SCHEDULED, SessionStatus.LIVE])


class VideoSession(TimeStampedModel):
    """A live video consult or case conference (hội chẩn từ xa), with its record."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    consultation = models.ForeignKey(
        "consults.Consultation",
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="video_sessions",
    )
    title = models.CharField(_("session title"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=SessionKind.choices, default=SessionKind.CONSULT
    )
    scheduled_at = models.DateTimeField(_("scheduled for"))
    duration_minutes = models.PositiveSmallIntegerField(_("planned duration (minutes)"), default=30)
    status = models.CharField(
        _("status"), max_length=16, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scheduled by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    # Its room on the SFU once opened (video/sfu.py): how Janus's events find the session.
    sfu_room = models.PositiveBigIntegerField(
        _("SFU room"), null=True, blank=True, unique=True, editable=False
    )

    objects = VideoSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("video session")
        verbose_name_plural = _("video sessions")
        ordering = ["-scheduled_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values), name="video_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(started_at__isnull=False),
                name="video_ended_after_started",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SessionKind.values), name="video_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind=SessionKind.CONSULT) | Q(consultation__isnull=True),
                name="video_teaching_without_consult",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_teaching(self) -> bool:
        return self.kind == SessionKind.TEACHING

    def get_absolute_url(self) -> str:
        return reverse("video:room", kwargs={"public_id": self.public_id})

    @property
    def is_joinable(self) -> bool:
        return self.status in (SessionStatus.SCHEDULED, SessionStatus.LIVE)

    def duration_seconds(self) -> int | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds())


class ParticipantQuerySet(models.QuerySet["VideoParticipant"]):
    def active(self) -> ParticipantQuerySet:
        return self.filter(removed_at__isnull=True)


class VideoParticipant(models.Model):
    """An invited person. Only invited, not removed participants may join the room."""

    session = models.ForeignKey(
        VideoSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="participants",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    is_host = models.BooleanField(_("host"), default=False)
    # In a teaching session only speakers publish; in any other session everyone speaks.
    role = models.CharField(
        _("role"), max_length=16, choices=ParticipantRole.choices, default=ParticipantRole.SPEAKER
    )
    hand_raised_at = models.DateTimeField(_("hand raised at"), null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    invited_at = models.DateTimeField(_("invited at"), default=timezone.now)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = _("video participant")
        verbose_name_plural = _("video participants")
        ordering = ["invited_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="video_participant_once"),
            models.CheckConstraint(
                condition=Q(role__in=ParticipantRole.values), name="video_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(is_host=False) | Q(role=ParticipantRole.SPEAKER),
                name="video_host_speaks",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.session_id}"

    @property
    def is_speaker(self) -> bool:
        return self.role == ParticipantRole.SPEAKER


class VideoJoin(models.Model):
    """One connection of one participant: when they joined and left, and the quality they had.
    Together these rows are the session record Circular 49/2017 asks for."""

    session = models.ForeignKey(
        VideoSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="joins"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    peer_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel_name = models.CharField(max_length=200, editable=False)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    # Running quality summary from the browser's getStats(): samples, worst and mean values.
    quality = models.JSONField(_("connection quality"), default=dict, blank=True)

    class Meta:
        verbose_name = _("join")
        verbose_name_plural = _("joins")
        ordering = ["joined_at", "id"]
        indexes = [models.Index(fields=["session", "left_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.joined_at:%H:%M}"

    def duration_seconds(self) -> int | None:
        if self.left_at is None:
            return None
        return int((self.left_at - self.joined_at).total_seconds())

    @property
    def through_server(self) -> bool:
        """A join of the media to Janus (from its events), beside the join of the room page
        (the websocket): in a session through the SFU each person has both."""
        return self.channel_name.startswith("janus:")

    def quality_summary(self) -> dict[str, Any]:
        q = self.quality or {}
        n = q.get("samples", 0)
        if not n:
            return {}
        return {
            "samples": n,
            "rtt_ms": round(q.get("rtt_sum", 0) / n),
            "loss_pct": round(q.get("loss_sum", 0) / n, 1),
            "kbps": round(q.get("kbps_sum", 0) / n),
            "worst_rtt_ms": q.get("rtt_max", 0),
            "weak_mode": q.get("mode", "normal"),
        }


class VideoMessage(models.Model):
    """A chat line or a question written in the room of a session that has no consultation (a
    consultation's session writes its chat into the consultation's thread): kept with the
    session record. The host marks a question answered."""

    session = models.ForeignKey(
        VideoSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="messages"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("room message")
        verbose_name_plural = _("room messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["session", "kind"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MessageKind.values), name="video_msg_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%H:%M}"


class RecordingStatus(models.TextChoices):
    ASKING = "asking", _("asking the participants")
    DECLINED = "declined", _("declined")
    RECORDING = "recording", _("recording")
    PROCESSING = "processing", _("being converted")
    READY = "ready", _("ready")
    FAILED = "failed", _("failed")
    DELETED = "deleted", _("deleted after its retention period")


class ConsentAnswer(models.TextChoices):
    PENDING = "pending", _("not answered yet")
    AGREED = "agreed", _("agreed")
    DECLINED = "declined", _("declined")
    TOLD = "told", _("told on joining")


class VideoRecording(TimeStampedModel):
    """A recording of a session through the SFU, made only once everyone present agreed
    (people joining later are told). Janus writes it; a background task converts it into one
    WebM (VP8 and Opus) per speaker, kept in the platform's storage until ``delete_after``."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(
        VideoSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="recordings",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RecordingStatus.choices, default=RecordingStatus.ASKING
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    delete_after = models.DateTimeField(_("deleted after"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RecordingStatus.values), name="video_recording_status"
            ),
            # One recording asked for or running per session at a time.
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(status__in=["asking", "recording"]),
                name="video_one_recording_running",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session} · {self.created_at:%Y-%m-%d %H:%M}"


class RecordingConsent(models.Model):
    """What one participant was asked about a recording, and their answer."""

    recording = models.ForeignKey(
        VideoRecording,
        verbose_name=_("recording"),
        on_delete=models.CASCADE,
        related_name="consents",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    answer = models.CharField(
        _("answer"), max_length=16, choices=ConsentAnswer.choices, default=ConsentAnswer.PENDING
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recording consent")
        verbose_name_plural = _("recording consents")
        constraints = [
            models.UniqueConstraint(fields=["recording", "user"], name="video_consent_once"),
            models.CheckConstraint(
                condition=Q(answer__in=ConsentAnswer.values), name="video_consent_answer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.answer}"


def recording_path(instance: RecordingFile, filename: str) -> str:
    return f"video-recordings/{instance.recording.public_id}/{uuid.uuid4().hex}.webm"


class RecordingFile(models.Model):
    """One speaker's part of a recording: their camera and microphone in one WebM file, with
    its duration and codecs as read back from the file."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recording = models.ForeignKey(
        VideoRecording,
        verbose_name=_("recording"),
        on_delete=models.CASCADE,
        related_name="files",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("speaker"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    file = models.FileField(_("file"), upload_to=recording_path, max_length=300)
    duration_seconds = models.FloatField(_("duration (seconds)"))
    video_codec = models.CharField(_("video codec"), max_length=16, blank=True)
    audio_codec = models.CharField(_("audio codec"), max_length=16, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))

    class Meta:
        verbose_name = _("recording file")
        verbose_name_plural = _("recording files")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file.name or ""

    @property
    def duration_text(self) -> str:
        """The duration as a player shows it: 12:05, or 1:02:05."""
        minutes, seconds = divmod(round(self.duration_seconds), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
