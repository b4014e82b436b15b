from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from caunoi.core.text import fold


class DivisionType(models.TextChoices):
    CENTRAL_CITY = "thanh_pho_trung_uong", _("centrally-run city")
    PROVINCE = "tinh", _("province")
    COMMUNE = "xa", _("commune")
    WARD = "phuong", _("ward")
    SPECIAL_ZONE = "dac_khu", _("special zone")


class ProvinceQuerySet(models.QuerySet["Province"]):
    def search(self, query: str) -> ProvinceQuerySet:
        qs = self
        for term in fold(query).split():
            qs = qs.filter(search_name__contains=term)
        return qs


class Province(models.Model):
    """A province-level unit after the 1 July 2025 reform (34 in all).

    ``code`` is the official statistics code (e.g. 46 for Thành phố Huế). ``legacy_codes`` are
    the pre-2025 provinces merged into it; citizen ID numbers issued before the reform still
    start with those old codes.
    """

    code = models.PositiveSmallIntegerField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=100)
    division_type = models.CharField(_("type"), max_length=32, choices=DivisionType.choices)
    codename = models.SlugField(_("code name"), max_length=100, unique=True)
    phone_code = models.PositiveSmallIntegerField(_("telephone area code"), null=True, blank=True)
    legacy_codes = models.JSONField(_("pre-2025 province codes"), default=list, blank=True)
    search_name = models.CharField(max_length=100, editable=False, db_index=True)

    objects = ProvinceQuerySet.as_manager()

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = fold(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("network:province", kwargs={"code": self.code})


class CommuneQuerySet(models.QuerySet["Commune"]):
    def search(self, query: str) -> CommuneQuerySet:
        qs = self
        for term in fold(query).split():
            qs = qs.filter(search_name__contains=term)
        return qs


class Commune(models.Model):
    """A commune-level unit (xã, phường or đặc khu): 3,321 after the 2025 reform."""

    code = models.PositiveIntegerField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    division_type = models.CharField(_("type"), max_length=32, choices=DivisionType.choices)
    codename = models.CharField(_("code name"), max_length=100)
    province = models.ForeignKey(
        Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="communes"
    )
    legacy_codes = models.JSONField(_("pre-2025 commune codes"), default=list, blank=True)
    legacy_district_codes = models.JSONField(_("pre-2025 district codes"), default=list, blank=True)
    is_remote = models.BooleanField(
        _("remote or extremely difficult area"),
        default=False,
        help_text=_("Set by the network administrator from the provincial list of such areas."),
    )
    is_island = models.BooleanField(_("island"), default=False)
    search_name = models.CharField(max_length=100, editable=False, db_index=True)

    objects = CommuneQuerySet.as_manager()

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["province__code", "code"]
        indexes = [models.Index(fields=["province", "code"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = fold(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]
