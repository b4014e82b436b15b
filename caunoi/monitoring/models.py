from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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
        from django.core.exceptions import ValidationError

        from caunoi.monitoring.indicators import BY_CODE

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
