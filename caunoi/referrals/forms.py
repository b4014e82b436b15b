from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caunoi.codes.models import IcdCode
from caunoi.core.dateinputs import DateInput, DateTimeLocalInput
from caunoi.network.models import Facility, FacilityKind
from caunoi.referrals.models import DischargeOutcome, ReferralUrgency, Transport

_CODE = re.compile(r"[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?")


def icd_codes(raw: str) -> list[IcdCode]:
    codes = [c.strip() for c in re.split(r"[,;\s]+", raw.upper()) if c.strip()]
    found = {i.code: i for i in IcdCode.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found or not _CODE.fullmatch(c)]
    if unknown:
        raise forms.ValidationError(
            _("Not ICD-10 codes: %(codes)s.") % {"codes": ", ".join(unknown)}
        )
    if len(codes) > 12:
        raise forms.ValidationError(_("At most 12 diagnosis codes."))
    return [found[c] for c in dict.fromkeys(codes)]


class ReferralForm(forms.Form):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    to_facility = forms.ChoiceField(label=gettext_lazy("Refer to"), required=False)
    to_code = forms.CharField(
        label=gettext_lazy("or another facility, by its code"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"autocapitalize": "characters"}),
    )
    urgency = forms.ChoiceField(
        label=gettext_lazy("Urgency"),
        choices=ReferralUrgency.choices,
        widget=forms.RadioSelect,
        initial=ReferralUrgency.ROUTINE,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for referral"),
        help_text=gettext_lazy(
            "For the receiving facility: what the patient needs there that the station cannot "
            "give (examination, treatment, surgery…)."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    clinical_summary = forms.CharField(
        label=gettext_lazy("Clinical summary"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=10000,
    )
    diagnoses = forms.CharField(
        label=gettext_lazy("Diagnosis (ICD-10 codes)"),
        required=False,
        help_text=gettext_lazy("e.g. I20.9, I10"),
    )
    treatment_given = forms.CharField(
        label=gettext_lazy("Treatment given"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
    )
    transport = forms.ChoiceField(
        label=gettext_lazy("Transport"), choices=Transport.choices, initial=Transport.FAMILY
    )
    departed_at = forms.DateTimeField(
        label=gettext_lazy("Departure (empty: now)"),
        required=False,
        widget=DateTimeLocalInput(),
    )
    accompanying_staff = forms.CharField(
        label=gettext_lazy("Accompanying staff"), required=False, max_length=200
    )
    insurance_number = forms.CharField(
        label=gettext_lazy("Health-insurance card number"), required=False, max_length=15
    )

    def __init__(self, *args: Any, suggestions: list[Facility], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.suggestions = {str(f.public_id): f for f in suggestions}
        self.fields["to_facility"].choices = [("", _("Choose a facility"))] + [  # type: ignore[attr-defined]
            (key, f"{f.name} ({f.get_level_display()})") for key, f in self.suggestions.items()
        ]

    def clean_diagnoses(self) -> list[IcdCode]:
        return icd_codes(self.cleaned_data.get("diagnoses", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = (data.get("to_code") or "").strip().upper()
        target = None
        if code:
            target = (
                Facility.objects.active()
                .exclude(kind=FacilityKind.HEALTH_DEPARTMENT)
                .filter(code=code)
                .first()
            )
            if target is None:
                self.add_error(
                    "to_code", _("No active facility has the code %(code)s.") % {"code": code}
                )
        elif data.get("to_facility"):
            target = self.suggestions.get(data["to_facility"])
        else:
            self.add_error("to_facility", _("Choose the facility to refer to."))
        data["target"] = target
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for declining"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class ArriveForm(forms.Form):
    arrived_at = forms.DateTimeField(
        label=gettext_lazy("Arrived at (empty: now)"),
        required=False,
        widget=DateTimeLocalInput(),
    )


class DischargeForm(forms.Form):
    # No outcome is picked for the clinician: a pre-selected first choice gets sent unread.
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[("", gettext_lazy("Choose the outcome")), *DischargeOutcome.choices],
    )
    discharged_at = forms.DateTimeField(
        label=gettext_lazy("Discharged at (empty: now)"),
        required=False,
        widget=DateTimeLocalInput(),
    )


class CounterReferralForm(forms.Form):
    diagnosis = forms.CharField(
        label=gettext_lazy("Diagnosis"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )
    procedures = forms.CharField(
        label=gettext_lazy("Procedures"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
    )
    medication = forms.CharField(
        label=gettext_lazy("Medication"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
    )
    follow_up = forms.CharField(
        label=gettext_lazy("Follow-up instructions for the station"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    next_appointment = forms.DateField(
        label=gettext_lazy("Next appointment"),
        required=False,
        widget=DateInput(),
    )
