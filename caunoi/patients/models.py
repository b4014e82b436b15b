from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caunoi.core.models import TimeStampedModel
from caunoi.core.text import fold
from caunoi.patients.ethnicity import ETHNICITY_CHOICES, KINH
from caunoi.patients.reads import PatientReadQuerySet


class Sex(models.TextChoices):
    MALE = "male", _("male")
    FEMALE = "female", _("female")


class Household(models.TextChoices):
    NONE = "", _("not poor or near-poor")
    POOR = "poor", _("poor household")
    NEAR_POOR = "near_poor", _("near-poor household")


class PatientQuerySet(PatientReadQuerySet["Patient"]):
    patient_path = ""

    def search(self, query: str) -> PatientQuerySet:
        qs = self
        digits = "".join(ch for ch in query if ch.isdigit())
        if len(digits) >= 9 and len(digits) == len(query.replace(" ", "")):
            # A citizen ID or a phone number: exact identifiers, not words.
            return qs.filter(Q(citizen_id=digits) | Q(phone__endswith=digits[-9:]))
        for term in fold(query).split():
            qs = qs.filter(search_name__contains=term)
        return qs


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


class Patient(TimeStampedModel):
    """A person cared for by a facility. Records are per facility (as the EMR rules of Circular
    46/2018 and 13/2025 have one record per patient per facility); the same person at two
    stations is two records, linked by the citizen ID when one is known."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    facility = models.ForeignKey(
        "network.Facility",
        verbose_name=_("registered at"),
        on_delete=models.PROTECT,
        related_name="patients",
    )
    full_name = models.CharField(_("full name"), max_length=200)
    search_name = models.CharField(max_length=200, editable=False, db_index=True)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"))
    birth_date_estimated = models.BooleanField(
        _("date of birth estimated from the age"), default=False
    )
    citizen_id = models.CharField(_("citizen ID"), max_length=12, blank=True, db_index=True)
    insurance_number = models.CharField(
        _("health-insurance card number"), max_length=15, blank=True
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    commune = models.ForeignKey(
        "places.Commune", verbose_name=_("commune"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    ethnicity = models.CharField(
        _("ethnicity"), max_length=2, choices=ETHNICITY_CHOICES, default=KINH
    )
    household = models.CharField(
        _("household"), max_length=16, choices=Household.choices, blank=True, default=""
    )
    has_disability = models.BooleanField(_("person with a disability"), default=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The client-generated id of the registration: the same form sent twice is one patient.
    client_id = models.UUIDField(null=True, blank=True, editable=False)
    # Set only by migration 0004 on records that shared a citizen ID or an insurance number
    # with an older record of the same facility before such duplicates were refused: kept (a
    # record with consults is never deleted), left out of the uniqueness constraints, and shown
    # on the patient page until someone reconciles them.
    identifier_conflict = models.BooleanField(
        _("shares an identifier with an older record"), default=False, editable=False
    )

    objects = PatientQuerySet.as_manager()

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["full_name", "id"]
        indexes = [
            models.Index(fields=["facility", "search_name"]),
            models.Index(fields=["updated_at"], name="patient_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(citizen_id="") | Q(citizen_id__regex=r"^[0-9]{12}$"),
                name="patient_citizen_id_format",
            ),
            models.CheckConstraint(
                condition=Q(insurance_number="")
                | Q(insurance_number__regex=r"^[A-Z]{2}[1-5][0-9]{12}$"),
                name="patient_insurance_format",
            ),
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="patient_sex_valid"),
            models.UniqueConstraint(
                fields=["registered_by", "client_id"],
                condition=Q(client_id__isnull=False),
                name="patient_registration_once",
            ),
            # A citizen ID identifies one person, and so does the social-insurance number that
            # ends the card number (its last 10 characters; the group letters and benefit level
            # before it change with the person's situation): one record each per facility.
            models.UniqueConstraint(
                fields=["facility", "citizen_id"],
                condition=~Q(citizen_id="") & Q(identifier_conflict=False),
                name="patient_citizen_id_once_per_facility",
            ),
            models.UniqueConstraint(
                F("facility"),
                Substr("insurance_number", 6),
                condition=~Q(insurance_number="") & Q(identifier_conflict=False),
                name="patient_insurance_once_per_facility",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = fold(self.full_name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("patients:detail", kwargs={"public_id": self.public_id})

    def age(self, on: date | None = None) -> int:
        return age_on(self.birth_date, on or timezone.localdate())

    @property
    def is_ethnic_minority(self) -> bool:
        return self.ethnicity != KINH

    def vulnerabilities(self, on: date | None = None) -> list[str]:
        """The equity groups this person belongs to (codes used by M&E breakdowns)."""
        groups = []
        if self.household == Household.POOR:
            groups.append("poor")
        if self.household == Household.NEAR_POOR:
            groups.append("near_poor")
        if self.is_ethnic_minority:
            groups.append("ethnic_minority")
        age = self.age(on)
        if age >= 60:
            groups.append("elderly")
        if age < 6:
            groups.append("child_under_6")
        if self.has_disability:
            groups.append("disability")
        if self.commune.is_remote or self.commune.is_island:
            groups.append("remote")
        return groups


class ConsentPurpose(models.TextChoices):
    TELECONSULTATION = "teleconsultation", _("teleconsultation (sharing the case with specialists)")


class ConsentMethod(models.TextChoices):
    VERBAL = "verbal", _("verbal, witnessed by the health worker")
    WRITTEN = "written", _("written, signed form kept at the facility")


class ConsentQuerySet(models.QuerySet["PatientConsent"]):
    def active(self) -> ConsentQuerySet:
        return self.filter(withdrawn_at__isnull=True)


class PatientConsent(models.Model):
    """Consent for one purpose (Law 91/2025: consent is specific, never implied, and can be
    withdrawn; a child's consent is given by a representative)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        Patient, verbose_name=_("patient"), on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(_("purpose"), max_length=32, choices=ConsentPurpose.choices)
    method = models.CharField(_("how it was given"), max_length=16, choices=ConsentMethod.choices)
    given_by = models.CharField(
        _("given by"),
        max_length=200,
        blank=True,
        help_text=_(
            "Leave empty when the patient consents; otherwise the representative's name and relation."
        ),
    )
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawal recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at"]
        constraints = [
            # At most one active consent per purpose: withdrawing and consenting again makes a
            # new row, so the history of both stays.
            models.UniqueConstraint(
                fields=["patient", "purpose"],
                condition=Q(withdrawn_at__isnull=True),
                name="consent_one_active_per_purpose",
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient} · {self.get_purpose_display()}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None
