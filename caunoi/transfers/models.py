"""Technique transfer (chuyển giao kỹ thuật): a hub teaches a receiving facility a technique,
from the agreement to twelve months of independent practice.

The steps follow the Ministry's practice for transfers between levels (theory, observed cases,
cases done under the hub's supervision, a competency assessment, the hub's sign-off, then the
receiving facility's own decision to perform the technique): ``services.py`` guards each one.
Techniques carry, where they have one, their code in the Ministry's list of techniques
(Circular 23/2024/TT-BYT); the catalogue is the administrator's (``Technique``), and a transfer
may name a technique the catalogue does not hold yet.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from caunoi.core.models import TimelineEvent, TimeStampedModel
from caunoi.core.text import fold
from caunoi.network.models import TechnicalLevel


class Technique(TimeStampedModel):
    """A technique of the Ministry's list (Circular 23/2024/TT-BYT), kept by the administrator."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(
        _("code in the Ministry's list"),
        max_length=40,
        blank=True,
        help_text=_("As in Circular 23/2024/TT-BYT; empty when it has none."),
    )
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    specialty = models.ForeignKey(
        "network.Specialty",
        verbose_name=_("specialty"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    level = models.CharField(
        _("technical level needed"), max_length=16, choices=TechnicalLevel.choices
    )
    is_active = models.BooleanField(_("active"), default=True)
    search_text = models.CharField(max_length=700, editable=False, db_index=True)

    class Meta:
        verbose_name = _("technique")
        verbose_name_plural = _("techniques")
        ordering = ["name_vi", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~Q(code=""), name="technique_code_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_text = fold(f"{self.code} {self.name_vi} {self.name_en}")[:700]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def name(self) -> str:
        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name_vi


class TransferStatus(models.TextChoices):
    """Where a transfer stands: each step is one of ``services.py``'s guarded transitions."""

    AGREED = "agreed", _("agreed")
    THEORY_DONE = "theory_done", _("theory taught")
    OBSERVED = "observed", _("cases observed")
    ASSESSED = "assessed", _("competency assessed")
    SIGNED_OFF = "signed_off", _("signed off by the hub")
    AUTHORISED = "authorised", _("authorised to perform independently")
    CANCELLED = "cancelled", pgettext_lazy("transfer", "cancelled")


# The steps in order (cancelled aside): a transfer moves one step at a time.
STEPS = [
    TransferStatus.AGREED,
    TransferStatus.THEORY_DONE,
    TransferStatus.OBSERVED,
    TransferStatus.ASSESSED,
    TransferStatus.SIGNED_OFF,
    TransferStatus.AUTHORISED,
]
OPEN = [s for s in STEPS if s != TransferStatus.AUTHORISED]


def agreement_path(instance: Transfer, filename: str) -> str:
    return f"transfers/{instance.public_id}/{uuid.uuid4().hex}"


class Transfer(TimeStampedModel):
    """A hub transfers a technique to a receiving facility."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    hub = models.ForeignKey(
        "network.Facility",
        verbose_name=_("hub"),
        on_delete=models.PROTECT,
        related_name="transfers_given",
    )
    receiver = models.ForeignKey(
        "network.Facility",
        verbose_name=_("receiving facility"),
        on_delete=models.PROTECT,
        related_name="transfers_received",
    )
    technique = models.ForeignKey(
        Technique,
        verbose_name=_("technique"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
    )
    technique_name = models.CharField(_("technique"), max_length=300)
    technique_code = models.CharField(_("code in the Ministry's list"), max_length=40, blank=True)
    specialty = models.ForeignKey(
        "network.Specialty", verbose_name=_("specialty"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(
        _("technical level needed"), max_length=16, choices=TechnicalLevel.choices
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TransferStatus.choices, default=TransferStatus.AGREED
    )
    agreement_number = models.CharField(_("agreement number"), max_length=100, blank=True)
    agreed_on = models.DateField(_("agreement signed on"))
    planned_end = models.DateField(_("planned end"))
    agreement = models.FileField(
        _("agreement (PDF)"), upload_to=agreement_path, max_length=300, blank=True
    )
    observed_target = models.PositiveSmallIntegerField(
        _("cases to observe"), default=3, validators=[MaxValueValidator(500)]
    )
    supervised_target = models.PositiveSmallIntegerField(
        _("cases to perform under supervision"),
        validators=[MinValueValidator(1), MaxValueValidator(500)],
    )
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("the hub's trainers"), related_name="+"
    )
    trainees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("the receiver's trainees"),
        related_name="techniques_learnt",
        blank=True,
    )
    assessment_passed = models.BooleanField(_("competency assessment passed"), null=True)
    assessment_note = models.CharField(_("assessment"), max_length=1000, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed off by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("authorised by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    authorised_on = models.DateField(_("authorised on"), null=True, blank=True)
    authorisation_number = models.CharField(_("decision number"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    client_id = models.UUIDField(null=True, blank=True, editable=False)
    search_text = models.CharField(max_length=800, editable=False, db_index=True, default="")

    class Meta:
        verbose_name = _("technique transfer")
        verbose_name_plural = _("technique transfers")
        ordering = ["-agreed_on", "-id"]
        indexes = [
            models.Index(fields=["hub", "status"]),
            models.Index(fields=["receiver", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "client_id"],
                condition=Q(client_id__isnull=False),
                name="transfer_recorded_once",
            ),
            models.CheckConstraint(
                condition=~Q(hub=models.F("receiver")), name="transfer_to_another_facility"
            ),
            models.CheckConstraint(
                condition=Q(planned_end__gte=models.F("agreed_on")),
                name="transfer_ends_after_agreed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.technique_name} · {self.hub} → {self.receiver}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_text = fold(
            f"{self.technique_code} {self.technique_name} {self.receiver.name} {self.hub.name}"
        )[:800]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("transfers:detail", kwargs={"public_id": self.public_id})

    @property
    def step_number(self) -> int:
        return STEPS.index(TransferStatus(self.status)) + 1 if self.status in STEPS else 0


class CaseKind(models.TextChoices):
    OBSERVED = "observed", _("observed (the hub performs, the trainee watches)")
    SUPERVISED = "supervised", _("performed under supervision")


class TransferCase(models.Model):
    """A case of the transfer: observed, or performed by a trainee under a trainer's supervision.
    No patient identity: the date, who, and how it went."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    transfer = models.ForeignKey(
        Transfer, verbose_name=_("transfer"), on_delete=models.CASCADE, related_name="cases"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CaseKind.choices)
    performed_on = models.DateField(_("date"))
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainee"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    complication = models.BooleanField(_("complication"), default=False)
    note = models.CharField(_("note (no patient identity)"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    client_id = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("transfer case")
        verbose_name_plural = _("transfer cases")
        ordering = ["performed_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recorded_by", "client_id"],
                condition=Q(client_id__isnull=False),
                name="transfer_case_recorded_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id} · {self.kind} · {self.performed_on}"


class MonthlyReport(models.Model):
    """What the receiving facility did with the technique in one month of the twelve after it
    was authorised: how many times, with how many complications and onward referrals."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    transfer = models.ForeignKey(
        Transfer, verbose_name=_("transfer"), on_delete=models.CASCADE, related_name="reports"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month reported."))
    performed = models.PositiveIntegerField(_("times performed"))
    complications = models.PositiveIntegerField(_("complications"), default=0)
    referred_onward = models.PositiveIntegerField(_("referred onward"), default=0)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "month"], name="report_once_a_month"),
            models.CheckConstraint(
                condition=Q(complications__lte=models.F("performed"))
                & Q(referred_onward__lte=models.F("performed")),
                name="report_counts_within_performed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id} · {self.month:%m/%Y} · {self.performed}"


class OverdueReport(models.Model):
    """A month whose report did not come by its due date (flagged by the scheduled check)."""

    transfer = models.ForeignKey(
        Transfer, verbose_name=_("transfer"), on_delete=models.CASCADE, related_name="overdue"
    )
    month = models.DateField(_("month"))
    flagged_at = models.DateTimeField(_("flagged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("overdue monthly report")
        verbose_name_plural = _("overdue monthly reports")
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "month"], name="overdue_once_a_month")
        ]

    def __str__(self) -> str:
        return f"{self.transfer_id} · {self.month:%m/%Y}"


class TransferEventKind(models.TextChoices):
    AGREED = "agreed", _("agreement recorded")
    TRAINEES = "trainees", _("trainees named")
    THEORY_DONE = "theory_done", _("theory taught")
    CASE_OBSERVED = "case_observed", _("case observed")
    OBSERVED = "observed", _("observation complete")
    CASE_SUPERVISED = "case_supervised", _("case performed under supervision")
    ASSESSED = "assessed", _("competency assessed")
    SIGNED_OFF = "signed_off", _("signed off by the hub")
    AUTHORISED = "authorised", _("authorised to perform independently")
    REPORTED = "reported", _("monthly report filed")
    REPORT_OVERDUE = "report_overdue", _("monthly report overdue")
    CANCELLED = "cancelled", pgettext_lazy("transfer", "cancelled")


class TransferEvent(TimelineEvent):
    """The transfer's timeline."""

    transfer = models.ForeignKey(
        Transfer, on_delete=models.CASCADE, related_name="events", verbose_name=_("transfer")
    )
    kind = models.CharField(_("event"), max_length=24, choices=TransferEventKind.choices)

    class Meta(TimelineEvent.Meta):
        verbose_name = _("transfer event")
        verbose_name_plural = _("transfer events")
