from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from caunoi.monitoring.catalogue import BY_CODE

DHIS2_UID = RegexValidator(
    r"^[A-Za-z][A-Za-z0-9]{10}$", _("A DHIS2 identifier has 11 letters and digits.")
)


class Dhis2DataElement(models.Model):
    """Which DHIS2 data element receives an indicator's value."""

    indicator = models.CharField(_("indicator"), max_length=40, unique=True)
    data_element = models.CharField(_("data element UID"), max_length=11, validators=[DHIS2_UID])
    category_option_combo = models.CharField(
        _("category option combo UID"), max_length=11, blank=True, validators=[DHIS2_UID]
    )

    class Meta:
        verbose_name = _("DHIS2 data element")
        verbose_name_plural = _("DHIS2 data elements")
        ordering = ["indicator"]

    def __str__(self) -> str:
        return f"{self.indicator} → {self.data_element}"

    def clean(self) -> None:
        if self.indicator not in BY_CODE:
            raise ValidationError({"indicator": _("Unknown indicator.")})


class Dhis2OrgUnit(models.Model):
    """Which DHIS2 organisation unit stands for a province or a facility."""

    province = models.OneToOneField(
        "places.Province",
        verbose_name=_("province"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    facility = models.OneToOneField(
        "network.Facility",
        verbose_name=_("facility"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    org_unit = models.CharField(_("organisation unit (UID or code)"), max_length=50)

    class Meta:
        verbose_name = _("DHIS2 organisation unit")
        verbose_name_plural = _("DHIS2 organisation units")
        ordering = ["org_unit"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(province__isnull=False) & Q(facility__isnull=True))
                | (Q(province__isnull=True) & Q(facility__isnull=False)),
                name="dhis2_orgunit_one_place",
                violation_error_message=_("Choose a province or a facility, not both."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.province or self.facility} → {self.org_unit}"


class Dhis2Push(models.Model):
    """One sending of a dataValueSet to DHIS2, with what DHIS2 answered."""

    at = models.DateTimeField(_("sent at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    period = models.CharField(_("period"), max_length=10)
    values = models.PositiveIntegerField(_("values sent"))
    status = models.PositiveSmallIntegerField(_("HTTP status"), null=True)
    ok = models.BooleanField(_("accepted"), default=False)
    response = models.TextField(_("answer"), blank=True)

    class Meta:
        verbose_name = _("DHIS2 push")
        verbose_name_plural = _("DHIS2 pushes")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.period} {self.at:%Y-%m-%d %H:%M}"


class ConsultFact(models.Model):
    """One sent consultation as the indicators see it: its places, groups and times resolved once,
    so that the dashboards aggregate a narrow indexed table in the database instead of joining
    consultations, patients and facilities and grouping them in Python. Kept by ``facts.refresh``;
    a consultation that is a draft or cancelled has no fact."""

    consultation = models.OneToOneField(
        "consults.Consultation", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    # What the fact was made from, to find the ones that changed since.
    consult_version = models.DateTimeField()
    patient_version = models.DateTimeField()

    patient_id = models.BigIntegerField()
    requester_id = models.BigIntegerField()
    specialist_id = models.BigIntegerField(null=True)
    facility_id = models.BigIntegerField()
    hub_id = models.BigIntegerField(null=True)
    specialty_id = models.BigIntegerField()
    province_code = models.PositiveIntegerField(null=True)
    commune_code = models.PositiveIntegerField(null=True)

    submitted_on = models.DateField()  # days in Vietnam's time
    answered_on = models.DateField(null=True)
    closed_on = models.DateField(null=True)
    deadline_at = models.DateTimeField(null=True)
    first_response_at = models.DateTimeField(null=True)
    answered = models.BooleanField()  # advice given (and so the specialist counts as active)
    response_minutes = models.FloatField(null=True)

    urgency = models.CharField(max_length=16)
    sex = models.CharField(max_length=8)
    age_band = models.CharField(max_length=5)
    ethnic_minority = models.BooleanField()
    poor = models.BooleanField()
    near_poor = models.BooleanField()
    elderly = models.BooleanField()
    child_under_6 = models.BooleanField()
    vulnerable = models.BooleanField()
    referred = models.BooleanField()
    resolved_locally = models.BooleanField()

    class Meta:
        verbose_name = _("consultation fact")
        verbose_name_plural = _("consultation facts")
        indexes = [
            # With the minutes in the index, a median reads the index alone (no table rows).
            models.Index(fields=["submitted_on", "response_minutes"], name="fact_sub_resp_idx"),
            models.Index(
                fields=["province_code", "submitted_on", "response_minutes"],
                name="fact_prov_sub_resp_idx",
            ),
            models.Index(fields=["facility_id", "submitted_on"], name="fact_fac_sub_idx"),
            models.Index(fields=["hub_id", "submitted_on"], name="fact_hub_sub_idx"),
            models.Index(fields=["answered_on"], name="fact_ans_idx"),
            models.Index(fields=["province_code", "answered_on"], name="fact_prov_ans_idx"),
            models.Index(fields=["hub_id", "answered_on"], name="fact_hub_ans_idx"),
            models.Index(fields=["closed_on"], name="fact_clo_idx"),
            models.Index(fields=["province_code", "closed_on"], name="fact_prov_clo_idx"),
            models.Index(fields=["patient_id"], name="fact_patient_idx"),
            # Not answered yet: the part of deadline compliance that depends on the moment.
            models.Index(
                fields=["province_code", "submitted_on"],
                condition=Q(first_response_at__isnull=True),
                name="fact_prov_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(self.consultation_id)


class FactState(models.Model):
    """The single row that says up to when the facts are known to be complete."""

    watermark = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)
    requested_at = models.DateTimeField(null=True)  # a background refresh was last asked for

    class Meta:
        verbose_name = _("state of the facts")
        verbose_name_plural = _("state of the facts")

    def __str__(self) -> str:
        return f"{self.refreshed_at}"


class MonthlyRollup(models.Model):
    """The consultation facts of one month and province summed per group of one breakdown, so
    that a month or a year of a province or of the network reads a few hundred rows, not every
    fact.

    ``dim`` is the breakdown ("" for the totals, or hub, facility, specialty, urgency, sex,
    age_band, vulnerability) and ``key`` the group. Distinct patients do not add up across
    months, but suppression only asks whether a cell has fewer than five: the five smallest
    patient ids of the cell (``p1``…``p5``) merge exactly into the five smallest of a longer
    period."""

    source = models.CharField(max_length=20)  # consults, consults_answered, consults_closed
    month = models.DateField()  # its first day
    province_code = models.PositiveIntegerField(null=True)
    dim = models.CharField(max_length=16)
    key = models.CharField(max_length=40)
    n = models.PositiveIntegerField()
    in_time = models.PositiveIntegerField()  # first response at or before the deadline
    responded = models.PositiveIntegerField()  # first response given, with a deadline
    vulnerable = models.PositiveIntegerField()
    resolved = models.PositiveIntegerField()
    p1 = models.BigIntegerField(null=True)
    p2 = models.BigIntegerField(null=True)
    p3 = models.BigIntegerField(null=True)
    p4 = models.BigIntegerField(null=True)
    p5 = models.BigIntegerField(null=True)

    class Meta:
        verbose_name = _("monthly roll-up")
        verbose_name_plural = _("monthly roll-ups")
        indexes = [
            models.Index(fields=["source", "dim", "month"], name="rollup_dim_month_idx"),
            models.Index(
                fields=["source", "dim", "province_code", "month"], name="rollup_prov_month_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.month:%Y-%m} {self.province_code} {self.dim}={self.key}"
