from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from caunoi.core.models import TimeStampedModel
from caunoi.core.text import fold
from caunoi.places.models import Commune, Province


class FacilityKind(models.TextChoices):
    STATION = "station", _("commune health station")
    REGIONAL_CENTRE = "regional_centre", _("regional health centre")
    PROVINCIAL_HOSPITAL = "provincial_hospital", _("provincial general hospital")
    CENTRAL_HOSPITAL = "central_hospital", _("central hospital")
    SPECIALTY_HOSPITAL = "specialty_hospital", _("specialised hospital")
    CLINIC = "clinic", _("clinic")
    HEALTH_DEPARTMENT = "health_department", _("provincial health department")


class TechnicalLevel(models.TextChoices):
    """The three levels of Law 15/2023/QH15, Art. 104."""

    INITIAL = "initial", _("initial (ban đầu)")
    BASIC = "basic", _("basic (cơ bản)")
    SPECIALISED = "specialised", _("specialised (chuyên sâu)")


class Status(models.TextChoices):
    ACTIVE = "active", _("active")
    INACTIVE = "inactive", _("inactive")


class Specialty(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    is_common = models.BooleanField(
        _("common specialty"),
        default=False,
        help_text=_("Every station should have a hub for each common specialty."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("specialty")
        verbose_name_plural = _("specialties")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "vi").startswith("en") else self.name_vi


class FacilityQuerySet(models.QuerySet["Facility"]):
    def active(self) -> FacilityQuerySet:
        return self.filter(status=Status.ACTIVE)

    def hubs(self) -> FacilityQuerySet:
        return self.filter(is_hub=True)

    def search(self, query: str) -> FacilityQuerySet:
        qs = self
        for term in fold(query).split():
            qs = qs.filter(search_name__contains=term)
        return qs


class Facility(TimeStampedModel):
    """A health facility or health authority of the network."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(
        _("facility code"),
        max_length=16,
        unique=True,
        validators=[
            RegexValidator(r"^[0-9A-Z]{5}([0-9A-Z]{0,11})$", _("Use 5 to 16 digits or capitals."))
        ],
        help_text=_("The 5-character health-insurance facility code (MA_CSKCB) where known."),
        error_messages={"unique": _("Another facility already has this code.")},
    )
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=FacilityKind.choices)
    level = models.CharField(
        _("technical level"), max_length=16, choices=TechnicalLevel.choices, blank=True
    )
    province = models.ForeignKey(
        Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="facilities"
    )
    commune = models.ForeignKey(
        Commune,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="facilities",
        null=True,
        blank=True,
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(8), MaxValueValidator(24)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(102), MaxValueValidator(118)],
    )
    is_hub = models.BooleanField(
        _("hub hospital"),
        default=False,
        help_text=_("A hub answers consults from the facilities it supports."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    search_name = models.CharField(max_length=300, editable=False, db_index=True)

    objects = FacilityQuerySet.as_manager()

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["province__code", "kind", "name"]
        indexes = [
            models.Index(fields=["province", "kind", "name"]),
            models.Index(fields=["kind", "level"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=FacilityKind.values), name="facility_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(level__in=[*TechnicalLevel.values, ""]), name="facility_level_valid"
            ),
            # A health department is an authority, not a place of care: it has no level.
            models.CheckConstraint(
                condition=Q(kind="health_department", level="")
                | ~Q(kind="health_department") & ~Q(level=""),
                name="facility_level_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = fold(f"{self.name} {self.short_name} {self.code}")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("network:facility", kwargs={"public_id": self.public_id})

    def clean(self) -> None:
        if self.kind == FacilityKind.HEALTH_DEPARTMENT and self.level:
            raise ValidationError({"level": _("A health department has no technical level.")})
        if self.kind != FacilityKind.HEALTH_DEPARTMENT and not self.level:
            raise ValidationError({"level": _("Choose the technical level of the facility.")})
        commune = self.commune if self.commune_id else None
        if commune is not None and self.province_id and commune.province_id != self.province_id:
            raise ValidationError({"commune": _("The commune is not in the chosen province.")})


class SupportLinkQuerySet(models.QuerySet["SupportLink"]):
    def current(self, on: date | None = None) -> SupportLinkQuerySet:
        day = on or timezone.localdate()
        return self.filter(
            Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
            status=Status.ACTIVE,
            hub__status=Status.ACTIVE,
        )


class SupportLink(TimeStampedModel):
    """A hub supports a spoke facility in some specialties (routing follows these links).

    When several current links cover the same spoke and specialty, the one with the lowest
    ``priority`` is the first to receive a consult.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    hub = models.ForeignKey(
        Facility,
        verbose_name=_("hub hospital"),
        on_delete=models.PROTECT,
        related_name="spoke_links",
    )
    spoke = models.ForeignKey(
        Facility,
        verbose_name=_("supported facility"),
        on_delete=models.PROTECT,
        related_name="hub_links",
    )
    specialties = models.ManyToManyField(
        Specialty, verbose_name=_("specialties"), related_name="support_links"
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=1, help_text=_("1 is the first hub to ask.")
    )
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )

    objects = SupportLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("support link")
        verbose_name_plural = _("support links")
        ordering = ["spoke__name", "priority"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(hub=models.F("spoke")), name="support_link_not_self"
            ),
            models.UniqueConstraint(fields=["hub", "spoke"], name="support_link_unique_pair"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="support_link_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hub} → {self.spoke}"

    def clean(self) -> None:
        if self.hub_id and self.spoke_id and self.hub_id == self.spoke_id:
            raise ValidationError({"spoke": _("A hub cannot support itself.")})
        if self.hub_id and not self.hub.is_hub:
            raise ValidationError({"hub": _("This facility is not marked as a hub.")})
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end date is before the start date.")})


class Role(models.TextChoices):
    WORKER = "worker", _("grassroots health worker")
    SPECIALIST = "specialist", _("hub specialist")
    COORDINATOR = "coordinator", _("hub coordinator")
    CLINICIAN = "clinician", _("receiving clinician")
    OFFICER = "officer", _("M&E officer")
    DONOR = "donor", _("programme viewer")
    ADMIN = "admin", _("network administrator")


class Profession(models.TextChoices):
    DOCTOR = "doctor", _("doctor (bác sĩ)")
    ASSISTANT_DOCTOR = "assistant_doctor", _("assistant doctor (y sĩ)")
    NURSE = "nurse", _("nurse (điều dưỡng)")
    MIDWIFE = "midwife", _("midwife (hộ sinh)")
    TECHNICIAN = "technician", _("medical technician")
    PHARMACIST = "pharmacist", _("pharmacist")
    PUBLIC_HEALTH = "public_health", _("public health officer")
    IT = "it", _("IT officer")
    OTHER = "other", _("other")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, user__is_active=True)


class Membership(TimeStampedModel):
    """A person's place in the network: their facility, role, profession and licence.

    What a user may see is derived from their active memberships (see ``network.access``).
    Donors and network administrators belong to no facility.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    facility = models.ForeignKey(
        Facility,
        verbose_name=_("facility"),
        on_delete=models.PROTECT,
        related_name="memberships",
        null=True,
        blank=True,
    )
    organisation = models.CharField(
        _("organisation"),
        max_length=200,
        blank=True,
        help_text=_("For programme viewers: the partner organisation."),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    profession = models.CharField(
        _("profession"), max_length=32, choices=Profession.choices, default=Profession.OTHER
    )
    title = models.CharField(_("title"), max_length=100, blank=True)
    licence_number = models.CharField(
        _("practising licence number"),
        max_length=40,
        blank=True,
        validators=[
            RegexValidator(
                r"^\d{6}/[A-Z]{2,4}-(GPHN|CCHN)$",
                _("Use the form 000123/BYT-GPHN (number/issuer-GPHN or -CCHN)."),
            )
        ],
    )
    specialties = models.ManyToManyField(
        Specialty, verbose_name=_("specialties"), blank=True, related_name="memberships"
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The head of the facility (trưởng trạm, giám đốc): nominates its staff for training, sees
    # their CME standing and verifies the activities they declare from elsewhere.
    is_head = models.BooleanField(
        _("head of the facility"),
        default=False,
        help_text=_("Nominates staff for training and sees their CME standing."),
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["facility__name", "role", "user__full_name"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
            models.CheckConstraint(
                condition=Q(role__in=["donor", "admin"]) | Q(facility__isnull=False),
                name="membership_facility_required",
            ),
            models.UniqueConstraint(
                fields=["user", "facility", "role"], name="membership_unique_role"
            ),
            models.UniqueConstraint(
                fields=["licence_number"],
                condition=~Q(licence_number=""),
                name="membership_licence_unique",
                violation_error_message=_("Another person already has this licence number."),
            ),
        ]

    def __str__(self) -> str:
        place = self.facility.name if self.facility is not None else self.organisation
        return f"{self.user} · {self.get_role_display()} · {place}"

    def clean(self) -> None:
        if self.role not in (Role.DONOR, Role.ADMIN) and not self.facility_id:
            raise ValidationError({"facility": _("This role needs a facility.")})
        facility = self.facility if self.facility_id else None
        if self.role in (Role.SPECIALIST, Role.COORDINATOR) and facility and not facility.is_hub:
            raise ValidationError({"role": _("Specialists and coordinators work at a hub.")})
        if (
            self.role == Role.OFFICER
            and facility
            and facility.kind != FacilityKind.HEALTH_DEPARTMENT
        ):
            raise ValidationError(
                {"facility": _("An M&E officer belongs to a provincial health department.")}
            )
