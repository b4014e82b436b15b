"""Hospital quality self-assessment: a facility scores itself each year against a set of
criteria (the basic quality standards of Circular 35/2024/TT-BYT for hospitals, the 83 criteria
of QĐ 6858/QĐ-BYT before it, or a future standard for stations), with evidence and an
improvement plan; the health department compares its facilities by section and year.

The criteria are data, loaded from a versioned file (``loader.py``), never code."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from caunoi.core.models import TimeStampedModel


class CriteriaSet(TimeStampedModel):
    """One version of a standard, as loaded from its file."""

    code = models.CharField(_("code"), max_length=40)
    version = models.CharField(_("version"), max_length=40)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    levels = models.PositiveSmallIntegerField(
        _("levels"), default=5, validators=[MinValueValidator(2), MaxValueValidator(10)]
    )
    # Stored as ",provincial_hospital,central_hospital," (the kinds it applies to).
    facility_kinds = models.CharField(_("for facilities of kind"), max_length=300)
    is_sample = models.BooleanField(
        _("sample"),
        default=False,
        help_text=_("An illustration of the format, not an official standard."),
    )
    sha256 = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("criteria set")
        verbose_name_plural = _("criteria sets")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="criteria_set_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"

    @property
    def name(self) -> str:
        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name_vi

    @property
    def kinds(self) -> list[str]:
        return [k for k in self.facility_kinds.split(",") if k]


class Section(models.Model):
    criteria_set = models.ForeignKey(
        CriteriaSet,
        verbose_name=_("criteria set"),
        on_delete=models.CASCADE,
        related_name="sections",
    )
    code = models.CharField(_("code"), max_length=20)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("order"))

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "code"], name="section_code_once")
        ]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"

    @property
    def name(self) -> str:
        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name_vi


class Criterion(models.Model):
    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.CASCADE, related_name="criteria"
    )
    code = models.CharField(_("code"), max_length=20)
    text_vi = models.CharField(_("criterion (Vietnamese)"), max_length=1000)
    text_en = models.CharField(_("criterion (English)"), max_length=1000, blank=True)
    position = models.PositiveSmallIntegerField(_("order"))

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["section__position", "position"]
        constraints = [models.UniqueConstraint(fields=["section", "code"], name="criterion_once")]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    @property
    def text(self) -> str:
        if get_language() == "en" and self.text_en:
            return self.text_en
        return self.text_vi


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("in progress")
    SUBMITTED = "submitted", _("submitted")


class Assessment(TimeStampedModel):
    """A facility's self-assessment of one year against one criteria set."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    facility = models.ForeignKey(
        "network.Facility",
        verbose_name=_("facility"),
        on_delete=models.PROTECT,
        related_name="quality_assessments",
    )
    criteria_set = models.ForeignKey(
        CriteriaSet, verbose_name=_("criteria set"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.DRAFT,
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quality self-assessment")
        verbose_name_plural = _("quality self-assessments")
        ordering = ["-year", "facility__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "criteria_set", "year"], name="assessment_once_a_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility} · {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("quality:detail", kwargs={"public_id": self.public_id})


def evidence_path(instance: Score, filename: str) -> str:
    return f"quality/{instance.assessment.public_id}/{uuid.uuid4().hex}"


class Score(models.Model):
    """The level a facility gives itself on one criterion, with its evidence."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("criterion"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField(_("level"), validators=[MinValueValidator(1)])
    note = models.CharField(_("note"), max_length=2000, blank=True)
    evidence = models.FileField(_("evidence"), upload_to=evidence_path, blank=True)
    evidence_type = models.CharField(max_length=100, blank=True, editable=False)
    evidence_url = models.URLField(_("evidence link"), blank=True)
    protocol = models.ForeignKey(
        "protocols.Protocol",
        verbose_name=_("protocol or SOP"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scored by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    scored_at = models.DateTimeField(_("scored at"), auto_now=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="score_once"),
            models.CheckConstraint(condition=Q(level__gte=1), name="score_level_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment} · {self.criterion.code} · {self.level}"


class ImprovementAction(models.Model):
    """A step of the improvement plan: what, who, by when, done."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assessment = models.ForeignKey(
        Assessment, verbose_name=_("assessment"), on_delete=models.CASCADE, related_name="actions"
    )
    criterion = models.ForeignKey(
        Criterion,
        verbose_name=_("criterion"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=1000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_on = models.DateField(_("due by"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.action
