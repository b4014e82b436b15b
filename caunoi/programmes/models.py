"""Donor and ODA programmes: the partners, the programmes with their priority areas and
coverage, and their money — commitments, disbursements and budgets in their currency, with the
amounts in VND and USD at the rate of the transaction's date (rates are loaded, never fetched);
its documents; its logframe (goal → outcomes → outputs → indicators, with baselines, targets per
period and actuals either entered with evidence or bound to an M&E indicator); its telehealth
kits and servers with their log."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from caunoi.core.models import TimeStampedModel

CURRENCY = RegexValidator(r"^[A-Z]{3}$", _("A currency is three capital letters (ISO 4217)."))


class InTheReadersLanguage:
    """A title written in Vietnamese, and in English for partners: ``title`` is the reader's
    (the Vietnamese one when there is no English)."""

    title_vi: str
    title_en: str

    @property
    def title(self) -> str:
        if get_language() == "en" and self.title_en:
            return self.title_en
        return self.title_vi


class PriorityArea(models.Model):
    """The Ministry's priority areas for aid (a catalogue the administrator keeps)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("priority area")
        verbose_name_plural = _("priority areas")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if get_language() == "en" else self.name_vi


class PartnerKind(models.TextChoices):
    BILATERAL = "bilateral", _("bilateral")
    MULTILATERAL = "multilateral", _("multilateral")
    NGO = "ngo", _("non-governmental organisation")
    GOVERNMENT = "government", _("government")


class Partner(TimeStampedModel):
    """A donor, executing agency or implementing partner. ``short_name`` is what a programme
    viewer's membership names as their organisation (``Membership.organisation``)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=40, unique=True)
    kind = models.CharField(_("type"), max_length=16, choices=PartnerKind.choices)
    country = models.CharField(_("country"), max_length=2, blank=True)
    iati_ref = models.CharField(_("IATI organisation identifier"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["short_name"]

    def __str__(self) -> str:
        return self.short_name


class ProgrammeStatus(models.TextChoices):
    """IATI's activity statuses."""

    PIPELINE = "pipeline", _("in preparation")
    IMPLEMENTATION = "implementation", _("under way")
    FINALISATION = "finalisation", _("finishing")
    CLOSED = "closed", _("closed")
    CANCELLED = "cancelled", pgettext_lazy("programme", "cancelled")


class Programme(InTheReadersLanguage, TimeStampedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("code"), max_length=40, unique=True)
    iati_identifier = models.CharField(_("IATI identifier"), max_length=150, blank=True)
    title_vi = models.CharField(_("title (Vietnamese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ProgrammeStatus.choices)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    priority_areas = models.ManyToManyField(
        PriorityArea, verbose_name=_("priority areas"), related_name="programmes"
    )
    provinces = models.ManyToManyField(
        "places.Province", verbose_name=_("provinces"), related_name="+", blank=True
    )
    facilities = models.ManyToManyField(
        "network.Facility", verbose_name=_("facilities"), related_name="+", blank=True
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("programme managers"),
        related_name="managed_programmes",
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    client_id = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-starts_on", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["iati_identifier"],
                condition=~Q(iati_identifier=""),
                name="programme_iati_identifier_unique",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="programme_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("programmes:detail", kwargs={"public_id": self.public_id})


class PartnerRole(models.TextChoices):
    """IATI's organisation roles."""

    FUNDING = "funding", _("funding")
    ACCOUNTABLE = "accountable", _("accountable (executing)")
    EXTENDING = "extending", _("extending")
    IMPLEMENTING = "implementing", _("implementing")


class ProgrammePartner(models.Model):
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="partners"
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="roles"
    )
    role = models.CharField(_("role"), max_length=16, choices=PartnerRole.choices)

    class Meta:
        verbose_name = _("programme partner")
        verbose_name_plural = _("programme partners")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "partner", "role"], name="programme_partner_role_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner} · {self.role}"


class ExchangeRate(models.Model):
    """What one unit of a currency was worth in VND on a day (loaded from a file or entered in
    the admin; never fetched)."""

    currency = models.CharField(_("currency"), max_length=3, validators=[CURRENCY])
    on = models.DateField(_("date"))
    vnd = models.DecimalField(
        _("VND per unit"),
        max_digits=16,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001"))],
    )

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-on"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "on"], name="rate_once_a_day"),
            models.CheckConstraint(condition=Q(vnd__gt=0), name="rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.on:%d/%m/%Y} {self.vnd}"


class TransactionKind(models.TextChoices):
    COMMITMENT = "commitment", _("commitment")
    DISBURSEMENT = "disbursement", _("disbursement")


class FlowType(models.TextChoices):
    GRANT = "grant", _("grant")
    CONCESSIONAL_LOAN = "concessional_loan", _("concessional loan")
    LOAN = "loan", _("loan")


class FinanceType(models.TextChoices):
    """IATI finance types (the codes used in the export)."""

    STANDARD_GRANT = "110", _("standard grant")
    AID_LOAN = "410", _("aid loan (concessional)")
    STANDARD_LOAN = "421", _("standard loan")


class Transaction(TimeStampedModel):
    """Money committed to or disbursed by a programme, in its currency and converted."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="transactions",
    )
    component = models.CharField(_("component"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=TransactionKind.choices)
    on = models.DateField(_("date"))
    provider = models.ForeignKey(
        Partner, verbose_name=_("provided by"), on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[CURRENCY])
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    amount_vnd = models.DecimalField(_("amount (VND)"), max_digits=22, decimal_places=0)
    amount_usd = models.DecimalField(_("amount (USD)"), max_digits=18, decimal_places=2)
    flow_type = models.CharField(_("flow type"), max_length=20, choices=FlowType.choices)
    finance_type = models.CharField(_("finance type"), max_length=4, choices=FinanceType.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    client_id = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transaction_amount_positive"),
            models.UniqueConstraint(
                fields=["recorded_by", "client_id"],
                condition=Q(client_id__isnull=False),
                name="transaction_recorded_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme.code} · {self.kind} · {self.amount} {self.currency}"


class KitKind(models.TextChoices):
    KIT = "kit", _("telehealth kit (PC, webcam, microphone, speaker)")
    SERVER = "server", _("server")
    OTHER = "other", _("other equipment")


class KitStatus(models.TextChoices):
    IN_USE = "in_use", _("in use")
    BROKEN = "broken", _("broken")
    LOST = "lost", _("lost")
    RETURNED = "returned", _("returned")


class Kit(TimeStampedModel):
    """A telehealth kit or server a programme paid for, where it is and how it stands."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("type"), max_length=16, choices=KitKind.choices)
    serial = models.CharField(_("serial number"), max_length=100, unique=True)
    programme = models.ForeignKey(
        Programme, verbose_name=_("paid by"), on_delete=models.PROTECT, related_name="kits"
    )
    facility = models.ForeignKey(
        "network.Facility",
        verbose_name=_("facility"),
        on_delete=models.PROTECT,
        related_name="kits",
    )
    delivered_on = models.DateField(_("delivered on"))
    status = models.CharField(
        _("status"), max_length=16, choices=KitStatus.choices, default=KitStatus.IN_USE
    )

    class Meta:
        verbose_name = _("kit")
        verbose_name_plural = _("kits")
        ordering = ["facility__name", "serial"]

    def __str__(self) -> str:
        return self.serial


class KitLog(models.Model):
    """The kit's maintenance log: each change of status and each repair, with a note."""

    kit = models.ForeignKey(
        Kit, verbose_name=_("kit"), on_delete=models.CASCADE, related_name="log"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=16, choices=KitStatus.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("kit log entry")
        verbose_name_plural = _("kit log")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kit_id} · {self.status}"


class Budget(TimeStampedModel):
    """What a programme plans to spend in a year (IATI's budget: original or revised), in its
    currency, converted at the rate of its value date like a transaction."""

    class Kind(models.TextChoices):
        ORIGINAL = "original", _("original")
        REVISED = "revised", _("revised")

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="budgets"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ORIGINAL)
    currency = models.CharField(_("currency"), max_length=3, validators=[CURRENCY])
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    value_date = models.DateField(_("rate date"))
    amount_vnd = models.DecimalField(_("amount (VND)"), max_digits=22, decimal_places=0)
    amount_usd = models.DecimalField(_("amount (USD)"), max_digits=18, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        ordering = ["year", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "year", "kind"], name="budget_once_a_year"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} · {self.year} · {self.amount} {self.currency}"


def document_path(instance: ProgrammeDocument, filename: str) -> str:
    return f"programmes/{instance.programme.public_id}/{uuid.uuid4().hex}"


class DocumentKind(models.TextChoices):
    MOU = "mou", _("memorandum of understanding")
    AGREEMENT = "agreement", _("agreement")
    REPORT = "report", _("report")
    OTHER = "other", _("other document")


class ProgrammeDocument(TimeStampedModel):
    """An MOU, an agreement or a report, as a PDF or a scan checked by its content."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    title = models.CharField(pgettext_lazy("document", "title"), max_length=300)
    signed_on = models.DateField(_("date"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to=document_path, max_length=300)
    content_type = models.CharField(max_length=100, editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    client_id = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("programme document")
        verbose_name_plural = _("programme documents")
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["uploaded_by", "client_id"],
                condition=Q(client_id__isnull=False),
                name="programme_document_once",
            )
        ]

    def __str__(self) -> str:
        return self.title


# --- the logframe ----------------------------------------------------------------------------


class ResultLevel(models.TextChoices):
    """The logframe's levels, top down (IATI's result types: impact, outcome, output)."""

    GOAL = "goal", pgettext_lazy("logframe level", "goal")
    OUTCOME = "outcome", pgettext_lazy("logframe level", "outcome")
    OUTPUT = "output", pgettext_lazy("logframe level", "output")


class LogframeResult(InTheReadersLanguage, models.Model):
    """A goal, an outcome or an output; an outcome sits under the goal, an output under an
    outcome."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="results"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("under"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
    )
    level = models.CharField(_("level"), max_length=10, choices=ResultLevel.choices)
    code = models.CharField(pgettext_lazy("logframe", "number"), max_length=20)
    title_vi = models.CharField(_("statement (Vietnamese)"), max_length=500)
    title_en = models.CharField(_("statement (English)"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("logframe result")
        verbose_name_plural = _("logframe results")
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="logframe_result_code_once")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Measure(models.TextChoices):
    """How an entered indicator is counted (IATI's measures: unit, percentage)."""

    NUMBER = "number", _("number")
    PERCENT = "percent", _("percentage")


class LogframeIndicator(InTheReadersLanguage, models.Model):
    """An indicator of a result: its baseline, its targets per period, and its actuals, either
    entered with evidence or computed from an M&E catalogue indicator (``bound_code``) over the
    programme's provinces and facilities."""

    result = models.ForeignKey(
        LogframeResult,
        verbose_name=_("result"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    code = models.CharField(pgettext_lazy("logframe", "number"), max_length=20)
    title_vi = models.CharField(_("indicator (Vietnamese)"), max_length=500)
    title_en = models.CharField(_("indicator (English)"), max_length=500, blank=True)
    bound_code = models.CharField(_("platform indicator"), max_length=60, blank=True)
    measure = models.CharField(
        _("measure"), max_length=10, choices=Measure.choices, default=Measure.NUMBER
    )
    ascending = models.BooleanField(_("higher is better"), default=True)
    baseline = models.DecimalField(
        _("baseline"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)

    class Meta:
        verbose_name = _("logframe indicator")
        verbose_name_plural = _("logframe indicators")
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["result", "code"], name="logframe_indicator_code_once")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Target(models.Model):
    """What an indicator should reach in a period ("2025", "2025-Q3" or "2025-10")."""

    indicator = models.ForeignKey(
        LogframeIndicator,
        verbose_name=_("indicator"),
        on_delete=models.CASCADE,
        related_name="targets",
    )
    period = models.CharField(_("period"), max_length=10)
    value = models.DecimalField(_("target"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["period"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "period"], name="target_once_a_period")
        ]

    def __str__(self) -> str:
        return f"{self.period}: {self.value}"


def actual_path(instance: EnteredActual, filename: str) -> str:
    return f"programmes/actuals/{uuid.uuid4().hex}"


class EnteredActual(TimeStampedModel):
    """What an indicator that the platform cannot count reached in a period, with its evidence
    (a file checked by content). Entered again, the new figure replaces the old (audited)."""

    indicator = models.ForeignKey(
        LogframeIndicator,
        verbose_name=_("indicator"),
        on_delete=models.CASCADE,
        related_name="actuals",
    )
    period = models.CharField(_("period"), max_length=10)
    value = models.DecimalField(_("actual"), max_digits=16, decimal_places=2)
    note = models.CharField(_("note"), max_length=500, blank=True)
    evidence = models.FileField(_("evidence"), upload_to=actual_path, max_length=300)
    evidence_type = models.CharField(max_length=100, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("entered actual")
        verbose_name_plural = _("entered actuals")
        ordering = ["period"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "period"], name="actual_once_a_period")
        ]

    def __str__(self) -> str:
        return f"{self.period}: {self.value}"


class Narrative(TimeStampedModel):
    """What the programme's managers write for a reporting period, printed at the head of the
    donor report: progress, difficulties, next steps (in the language they write in)."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="narratives"
    )
    period = models.CharField(_("period"), max_length=10)
    progress = models.TextField(_("progress"), blank=True)
    difficulties = models.TextField(_("difficulties"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("report narrative")
        verbose_name_plural = _("report narratives")
        ordering = ["period"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "period"], name="narrative_once_a_period")
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} · {self.period}"
