from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from caunoi.core.models import TimelineEvent, TimeStampedModel
from caunoi.patients.reads import PatientReadQuerySet


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("sent, waiting for the receiving facility")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    ARRIVED = "arrived", _("patient arrived")
    DISCHARGED = "discharged", _("discharged")
    COUNTER_REFERRED = "counter_referred", _("counter-referral sent")
    ACKNOWLEDGED = "acknowledged", _("loop closed")
    CANCELLED = "cancelled", _("cancelled")


OPEN_REFERRAL = [
    ReferralStatus.SENT,
    ReferralStatus.ACCEPTED,
    ReferralStatus.ARRIVED,
    ReferralStatus.DISCHARGED,
    ReferralStatus.COUNTER_REFERRED,
]


class Transport(models.TextChoices):
    AMBULANCE = "ambulance", _("ambulance")
    FACILITY_VEHICLE = "facility_vehicle", _("facility vehicle")
    FAMILY = "family", _("family's own means")
    PUBLIC = "public", _("public transport")


class DischargeOutcome(models.TextChoices):
    """How the stay at the receiving facility ended, recorded at discharge. ``admitted`` is
    kept as the stored value (rows and API clients use it) for a stay as an inpatient that has
    now ended: at discharge "admitted" alone would read as if the patient were still in."""

    ADMITTED = "admitted", _("treated as an inpatient, then discharged")
    OUTPATIENT = "outpatient", _("treated as outpatient")
    TRANSFERRED = "transferred", _("transferred onward")
    DIED = "died", _("died")
    LEFT = "left", _("left against advice")


class ReferralUrgency(models.TextChoices):
    EMERGENCY = "emergency", _("emergency")
    URGENT = "urgent", _("urgent")
    ROUTINE = "routine", _("routine")


class ReferralQuerySet(PatientReadQuerySet["Referral"]):
    def open(self) -> ReferralQuerySet:
        return self.filter(status__in=OPEN_REFERRAL)


class Referral(TimeStampedModel):
    """A transfer of a patient to a facility of a higher technical level (chuyển cơ sở khám
    bệnh, chữa bệnh; Circular 01/2025/TT-BYT) and the counter-referral that closes the loop."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client_id = models.UUIDField(editable=False)
    patient = models.ForeignKey(
        "patients.Patient",
        verbose_name=_("patient"),
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    consultation = models.ForeignKey(
        "consults.Consultation",
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    redirected_from = models.ForeignKey(
        "self",
        verbose_name=_("redirected from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redirects",
    )
    from_facility = models.ForeignKey(
        "network.Facility",
        verbose_name=_("referring facility"),
        on_delete=models.PROTECT,
        related_name="referrals_out",
    )
    to_facility = models.ForeignKey(
        "network.Facility",
        verbose_name=_("receiving facility"),
        on_delete=models.PROTECT,
        related_name="referrals_in",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referred by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    urgency = models.CharField(
        _("urgency"),
        max_length=16,
        choices=ReferralUrgency.choices,
        default=ReferralUrgency.ROUTINE,
    )
    reason = models.TextField(_("reason for referral"))
    clinical_summary = models.TextField(_("clinical summary"), blank=True)
    diagnoses = models.ManyToManyField(
        "codes.IcdCode", verbose_name=_("diagnosis (ICD-10)"), blank=True, related_name="+"
    )
    treatment_given = models.TextField(_("treatment given"), blank=True)
    transport = models.CharField(
        _("transport"), max_length=20, choices=Transport.choices, default=Transport.FAMILY
    )
    accompanying_staff = models.CharField(_("accompanying staff"), max_length=200, blank=True)
    insurance_number = models.CharField(
        _("health-insurance card number"), max_length=15, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.SENT
    )

    sent_at = models.DateTimeField(_("sent at"))
    departed_at = models.DateTimeField(_("departed at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=DischargeOutcome.choices, blank=True
    )
    discharged_at = models.DateTimeField(_("discharged at"), null=True, blank=True)
    counter_diagnosis = models.TextField(_("diagnosis at the receiving facility"), blank=True)
    procedures = models.TextField(_("procedures"), blank=True)
    medication = models.TextField(_("medication"), blank=True)
    follow_up = models.TextField(_("follow-up instructions for the station"), blank=True)
    next_appointment = models.DateField(_("next appointment"), null=True, blank=True)
    counter_referred_at = models.DateTimeField(_("counter-referral sent at"), null=True, blank=True)
    counter_referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("counter-referral by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    arrival_overdue_at = models.DateTimeField(_("flagged: not arrived"), null=True, blank=True)
    counter_overdue_at = models.DateTimeField(
        _("flagged: no counter-referral"), null=True, blank=True
    )

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["to_facility", "status", "-sent_at"]),
            models.Index(fields=["from_facility", "status", "-sent_at"]),
            models.Index(fields=["updated_at"], name="referral_updated_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "client_id"], name="referral_submission_once"
            ),
            models.CheckConstraint(
                condition=~Q(from_facility=models.F("to_facility")), name="referral_not_to_itself"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReferralStatus.values), name="referral_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(arrived_at__isnull=True)
                | Q(status__in=["arrived", "discharged", "counter_referred", "acknowledged"]),
                name="referral_arrival_only_when_arrived",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} → {self.to_facility}"

    def get_absolute_url(self) -> str:
        return reverse("referrals:detail", kwargs={"public_id": self.public_id})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFERRAL


class ReferralEventKind(models.TextChoices):
    """A timeline step: the status it led to (named as the status is), or the alert it raised."""

    SENT = "sent", pgettext_lazy("referral event", "sent")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    ARRIVED = "arrived", _("patient arrived")
    DISCHARGED = "discharged", _("discharged")
    COUNTER_REFERRED = "counter_referred", _("counter-referral sent")
    ACKNOWLEDGED = "acknowledged", _("loop closed")
    CANCELLED = "cancelled", _("cancelled")
    OVERDUE_ARRIVAL = (
        "overdue_arrival",
        pgettext_lazy("referral event", "overdue: patient not arrived"),
    )
    OVERDUE_COUNTER = (
        "overdue_counter",
        pgettext_lazy("referral event", "overdue: no counter-referral"),
    )


class ReferralEvent(TimelineEvent):
    """The referral's timeline: every step, when and by whom."""

    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=24, choices=ReferralEventKind.choices)

    class Meta(TimelineEvent.Meta):
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
