from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from caunoi.core.dateinputs import DateInput
from caunoi.patients.ethnicity import ETHNICITY_CHOICES, KINH
from caunoi.patients.models import ConsentMethod, Household, Sex
from caunoi.places.models import Commune, Province


class PatientForm(forms.Form):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)
    birth_date = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=DateInput(up_to_today=True),
    )
    age_years = forms.IntegerField(
        label=_("or age in years, when the date is not known"),
        required=False,
        min_value=0,
        max_value=130,
    )
    citizen_id = forms.CharField(
        label=_("Citizen ID (12 digits)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    insurance_number = forms.CharField(
        label=_("Health-insurance card number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    province = forms.TypedChoiceField(label=_("Province"), coerce=int)
    commune = forms.ModelChoiceField(
        label=_("Commune"),
        queryset=Commune.objects.none(),
        # The list holds the chosen province's communes only, so any other is "not in it".
        error_messages={"invalid_choice": _("The commune is not in the chosen province.")},
    )
    address = forms.CharField(label=_("Address (village, hamlet)"), required=False, max_length=300)
    ethnicity = forms.ChoiceField(label=_("Ethnicity"), choices=ETHNICITY_CHOICES, initial=KINH)
    household = forms.ChoiceField(label=_("Household"), choices=Household.choices, required=False)
    has_disability = forms.BooleanField(label=_("Person with a disability"), required=False)
    consent_given = forms.BooleanField(
        label=_(
            "The patient (or their representative) agrees to share this case with specialists for teleconsultation."
        ),
        required=False,
    )
    consent_method = forms.ChoiceField(
        label=_("Consent given"),
        choices=ConsentMethod.choices,
        initial=ConsentMethod.VERBAL,
        required=False,
    )
    consent_given_by = forms.CharField(
        label=_("Given by (if not the patient: name and relation)"), required=False, max_length=200
    )
    confirm_new_person = forms.BooleanField(
        label=_("I have checked: this is another person, register them."), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [  # type: ignore[attr-defined]
            (p.code, p.name) for p in Province.objects.order_by("name").only("code", "name")
        ]
        province = self.data.get("province") if self.is_bound else self.initial.get("province")
        if province and str(province).isdigit():
            self.fields["commune"].queryset = Commune.objects.filter(  # type: ignore[attr-defined]
                province__code=int(province)
            ).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("birth_date") and data.get("age_years") is None:
            self.add_error(
                "birth_date", _("Enter the date of birth, or the age when it is not known.")
            )
        commune = data.get("commune")
        if (
            commune is not None
            and data.get("province")
            and commune.province.code != data["province"]
        ):
            self.add_error("commune", _("The commune is not in the chosen province."))
        return data


class ConsentForm(forms.Form):
    method = forms.ChoiceField(label=_("Consent given"), choices=ConsentMethod.choices)
    given_by = forms.CharField(
        label=_("Given by (if not the patient: name and relation)"), required=False, max_length=200
    )


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, citizen ID or phone")}
        ),
    )
