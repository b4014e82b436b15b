"""Protocols and standard operating procedures (phác đồ, quy trình chuẩn) that a hub or a
provincial health department publishes to the facilities it supports, in versions; who has read
each version; and (in ``consults``) the protocols a specialist cites in advice."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from caunoi.core.models import TimeStampedModel
from caunoi.core.text import fold


class ProtocolKind(models.TextChoices):
    PROTOCOL = "protocol", _("treatment protocol")
    SOP = "sop", _("standard operating procedure")


class Audience(models.TextChoices):
    """Who a protocol is for, resolved into facilities at each version's publication."""

    SUPPORTED = "supported", _("the facilities the hub supports")
    PROVINCE = "province", _("every facility of the province")
    CHOSEN = "chosen", _("chosen facilities")


class Protocol(TimeStampedModel):
    """A protocol or SOP: its publisher and what it is about. Its text is in its versions."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    publisher = models.ForeignKey(
        "network.Facility",
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="protocols",
    )
    code = models.CharField(_("code"), max_length=40, blank=True)
    title_vi = models.CharField(_("title (Vietnamese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ProtocolKind.choices)
    specialty = models.ForeignKey(
        "network.Specialty",
        verbose_name=_("specialty"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    audience = models.CharField(_("for"), max_length=16, choices=Audience.choices)
    search_text = models.CharField(max_length=700, editable=False, db_index=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    client_id = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("protocol")
        verbose_name_plural = _("protocols")
        ordering = ["title_vi", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "client_id"],
                condition=Q(client_id__isnull=False),
                name="protocol_published_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}".strip()

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_text = fold(f"{self.code} {self.title_vi} {self.title_en}")[:700]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def title(self) -> str:
        if get_language() == "en" and self.title_en:
            return self.title_en
        return self.title_vi

    def get_absolute_url(self) -> str:
        return reverse("protocols:detail", kwargs={"public_id": self.public_id})


def version_path(instance: ProtocolVersion, filename: str) -> str:
    return f"protocols/{instance.protocol.public_id}/{uuid.uuid4().hex}.pdf"


class ProtocolVersion(models.Model):
    """One version of a protocol: its text or PDF, when it takes effect and when it must be
    reviewed; superseded when the next one is published (and still readable)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    protocol = models.ForeignKey(
        Protocol, verbose_name=_("protocol"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveSmallIntegerField(_("version"))
    body = models.TextField(_("text"), blank=True)
    document = models.FileField(_("document (PDF)"), upload_to=version_path, blank=True)
    change_note = models.CharField(_("what changed"), max_length=1000, blank=True)
    effective_on = models.DateField(_("effective from"))
    review_on = models.DateField(_("to be reviewed by"))
    audience = models.ManyToManyField(
        "network.Facility", verbose_name=_("facilities it is for"), related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    review_flagged_at = models.DateTimeField(_("review overdue since"), null=True, blank=True)

    class Meta:
        verbose_name = _("protocol version")
        verbose_name_plural = _("protocol versions")
        ordering = ["protocol", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "number"], name="protocol_version_once"),
            models.UniqueConstraint(
                fields=["protocol"],
                condition=Q(superseded_at__isnull=True),
                name="protocol_one_current_version",
            ),
            models.CheckConstraint(
                condition=~Q(body="") | ~Q(document=""), name="protocol_version_has_content"
            ),
            models.CheckConstraint(
                condition=Q(review_on__gt=models.F("effective_on")),
                name="protocol_review_after_effect",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse(
            "protocols:version",
            kwargs={"public_id": self.protocol.public_id, "number": self.number},
        )

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


class Acknowledgement(models.Model):
    """A health worker has read a version (for the facility they work at)."""

    version = models.ForeignKey(
        ProtocolVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="acknowledgements",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("health worker"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    facility = models.ForeignKey(
        "network.Facility", verbose_name=_("facility"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("read at"), auto_now_add=True)

    class Meta:
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="acknowledged_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.version}"
