"""The forms a programme's managers fill in: a year's budget, a document, the logframe's
results, indicators, targets and entered actuals, a kit and a change of its status."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from caunoi.core.dateinputs import DateInput
from caunoi.monitoring.catalogue import CATALOGUE
from caunoi.programmes.models import (
    Budget,
    DocumentKind,
    KitKind,
    KitStatus,
    Measure,
    ResultLevel,
)

PERIOD_HELP = _("A year (2025), a quarter (2025-Q3) or a month (2025-10).")


def _choices(field: forms.Field, choices: list[tuple[str, str]]) -> None:
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class BudgetForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Budget.Kind.choices)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="USD")
    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=2)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("Title"), max_length=300)
    signed_on = forms.DateField(label=_("Date"), required=False, widget=DateInput())
    file = forms.FileField(label=_("File (PDF or scan)"))
    client_id = forms.UUIDField(widget=forms.HiddenInput)


class ResultForm(forms.Form):
    level = forms.ChoiceField(label=pgettext_lazy("logframe", "Level"), choices=ResultLevel.choices)
    parent = forms.ChoiceField(label=_("Under"), required=False)
    code = forms.CharField(
        label=pgettext_lazy("logframe", "Number"),
        max_length=20,
        help_text=_("For example 1 or 1.2."),
    )
    title_vi = forms.CharField(label=_("Statement (Vietnamese)"), max_length=500)
    title_en = forms.CharField(label=_("Statement (English)"), max_length=500, required=False)

    def __init__(self, *args: Any, parents: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["parent"], [("", "—"), *parents])


def bound_choices() -> list[tuple[str, str]]:
    return [
        ("", str(_("— entered by hand, with evidence —"))),
        *((i.code, i.name) for i in CATALOGUE),
    ]


class IndicatorForm(forms.Form):
    result = forms.ChoiceField(label=_("Result"))
    code = forms.CharField(label=pgettext_lazy("logframe", "Number"), max_length=20)
    title_vi = forms.CharField(label=_("Indicator (Vietnamese)"), max_length=500)
    title_en = forms.CharField(label=_("Indicator (English)"), max_length=500, required=False)
    bound_code = forms.ChoiceField(
        label=_("Actuals"),
        required=False,
        help_text=_(
            "Computed by the platform from an M&E indicator over the programme's provinces and facilities, or entered by hand."
        ),
    )
    measure = forms.ChoiceField(
        label=_("Measure (entered by hand)"), choices=Measure.choices, initial=Measure.NUMBER
    )
    ascending = forms.TypedChoiceField(
        label=_("Better when"),
        choices=[("1", _("higher")), ("0", _("lower"))],
        coerce=lambda v: v == "1",
        initial="1",
    )
    baseline = forms.DecimalField(
        label=_("Baseline"), max_digits=16, decimal_places=2, required=False
    )
    baseline_year = forms.IntegerField(
        label=_("Baseline year"), min_value=2000, max_value=2100, required=False
    )

    def __init__(self, *args: Any, results: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["result"], results)
        _choices(self.fields["bound_code"], bound_choices())


class TargetForm(forms.Form):
    indicator = forms.ChoiceField(label=_("Indicator"))
    period = forms.CharField(label=_("Period"), max_length=10, help_text=PERIOD_HELP)
    value = forms.DecimalField(label=_("Target"), max_digits=16, decimal_places=2)

    def __init__(self, *args: Any, indicators: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["indicator"], indicators)


class ActualForm(TargetForm):
    value = forms.DecimalField(label=_("Actual"), max_digits=16, decimal_places=2)
    evidence = forms.FileField(label=_("Evidence (PDF or photo)"))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class KitForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=KitKind.choices)
    serial = forms.CharField(label=_("Serial number"), max_length=100)
    facility = forms.CharField(
        label=_("Facility"),
        max_length=300,
        help_text=_("Its code in the directory, or its name."),
    )
    delivered_on = forms.DateField(label=_("Delivered on"), widget=DateInput())


class KitStatusForm(forms.Form):
    serial = forms.CharField(label=_("Serial number"), max_length=100)
    status = forms.ChoiceField(label=_("Status"), choices=KitStatus.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class NarrativeForm(forms.Form):
    period = forms.CharField(label=_("Period"), max_length=10, help_text=PERIOD_HELP)
    progress = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 4}))
    difficulties = forms.CharField(
        label=_("Difficulties"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    next_steps = forms.CharField(
        label=_("Next steps"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
