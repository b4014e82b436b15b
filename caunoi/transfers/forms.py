from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from caunoi.core.dateinputs import DateInput
from caunoi.network.models import Specialty, TechnicalLevel
from caunoi.transfers.models import CaseKind, Technique


def _choices(field: forms.Field, choices: list[tuple[str, str]]) -> None:
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class TransferForm(forms.Form):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    receiver = forms.ChoiceField(label=_("Receiving facility"))
    technique = forms.ModelChoiceField(
        label=_("Technique from the catalogue"),
        queryset=Technique.objects.filter(is_active=True).select_related("specialty"),
        required=False,
        empty_label=_("Not in the catalogue: name it below"),
    )
    technique_name = forms.CharField(label=_("or its name"), max_length=300, required=False)
    technique_code = forms.CharField(
        label=_("and its code in the Ministry's list (Circular 23/2024/TT-BYT)"),
        max_length=40,
        required=False,
    )
    specialty = forms.ModelChoiceField(
        label=_("Specialty"), queryset=Specialty.objects.order_by("name_vi"), required=False
    )
    level = forms.ChoiceField(
        label=_("Technical level the receiver needs"),
        choices=[("", "—"), *TechnicalLevel.choices],
        required=False,
    )
    agreement_number = forms.CharField(label=_("Agreement number"), max_length=100, required=False)
    agreed_on = forms.DateField(label=_("Agreement signed on"), widget=DateInput())
    planned_end = forms.DateField(label=_("Planned end"), widget=DateInput())
    agreement = forms.FileField(label=_("Agreement (PDF)"), required=False)
    observed_target = forms.IntegerField(
        label=_("Cases to observe"), min_value=0, max_value=500, initial=3
    )
    supervised_target = forms.IntegerField(
        label=_("Cases to perform under supervision"), min_value=1, max_value=500, initial=10
    )
    trainers = forms.MultipleChoiceField(
        label=_("The hub's trainers"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        *args: Any,
        receivers: list[tuple[str, str]],
        trainers: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["receiver"], [("", str(_("Choose a facility"))), *receivers])
        _choices(self.fields["trainers"], trainers)


class PeopleForm(forms.Form):
    people = forms.MultipleChoiceField(
        label=_("Trainees (the receiver's clinical staff)"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, people: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["people"], people)


class CaseForm(forms.Form):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseKind.choices, widget=forms.HiddenInput)
    performed_on = forms.DateField(label=_("Date"), widget=DateInput(up_to_today=True))
    trainee = forms.ChoiceField(label=_("Trainee"))
    supervisor = forms.ChoiceField(label=_("Supervisor (the hub's trainer)"))
    complication = forms.BooleanField(label=_("There was a complication"), required=False)
    note = forms.CharField(
        label=_("Note (no name or other patient identity)"), max_length=500, required=False
    )

    def __init__(
        self,
        *args: Any,
        trainees: list[tuple[str, str]],
        supervisors: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["trainee"], trainees)
        _choices(self.fields["supervisor"], supervisors)


class AssessmentForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("Result"),
        choices=[("1", _("competent: passed")), ("0", _("not yet: more supervised cases"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("What the assessment found"),
        max_length=1000,
        min_length=5,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AuthoriseForm(forms.Form):
    decision_number = forms.CharField(label=_("Decision number"), max_length=100, required=False)
    on = forms.DateField(label=_("Decision date"), widget=DateInput(up_to_today=True))


class ReportForm(forms.Form):
    # The month the row is for, as the page wrote it (yyyy-mm-01): never typed by a person.
    month = forms.RegexField(regex=r"^\d{4}-\d{2}-01$", widget=forms.HiddenInput)
    performed = forms.IntegerField(label=_("Times performed"), min_value=0, max_value=100000)
    complications = forms.IntegerField(
        label=_("Complications"), min_value=0, max_value=100000, initial=0
    )
    referred_onward = forms.IntegerField(
        label=_("Referred onward"), min_value=0, max_value=100000, initial=0
    )
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)
