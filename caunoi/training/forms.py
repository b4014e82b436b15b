from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from caunoi.network.models import Specialty
from caunoi.training.models import CourseFormat


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("Search courses"), required=False, max_length=100)
    specialty = forms.ModelChoiceField(
        label=_("Specialty"),
        queryset=Specialty.objects.order_by("name_vi"),
        to_field_name="code",
        required=False,
        empty_label=_("All specialties"),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("", _("All formats")), *CourseFormat.choices],
        required=False,
    )
    for_me = forms.BooleanField(label=_("For my profession and province"), required=False)
    past = forms.BooleanField(label=_("Include courses that have ended"), required=False)


class CorrectAttendanceForm(forms.Form):
    present = forms.TypedChoiceField(
        label=_("Count as"),
        choices=[("1", _("present")), ("0", _("absent"))],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, min_length=5)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it revoked?"),
        max_length=300,
        min_length=5,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CredentialForm(forms.Form):
    credential = forms.CharField(
        label=_("Signed credential"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text=_("Paste the credential (a long text with two dots) as you received it."),
    )
