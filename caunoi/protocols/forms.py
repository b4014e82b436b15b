from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from caunoi.core.dateinputs import DateInput
from caunoi.network.models import Specialty
from caunoi.protocols.models import Audience, ProtocolKind


class VersionForm(forms.Form):
    body = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("The protocol itself, or a summary when the PDF holds it."),
    )
    document = forms.FileField(label=_("PDF document"), required=False)
    effective_on = forms.DateField(label=_("Effective from"), widget=DateInput())
    review_on = forms.DateField(label=_("To be reviewed by"), widget=DateInput())
    change_note = forms.CharField(label=_("What changed"), max_length=1000, required=False)


class ProtocolForm(VersionForm):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    title_vi = forms.CharField(label=_("Title (Vietnamese)"), max_length=300)
    title_en = forms.CharField(label=_("Title (English)"), max_length=300, required=False)
    code = forms.CharField(label=_("Code"), max_length=40, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=ProtocolKind.choices, widget=forms.RadioSelect
    )
    specialty = forms.ModelChoiceField(
        label=_("Specialty"), queryset=Specialty.objects.order_by("name_vi"), required=False
    )
    audience = forms.ChoiceField(label=_("For"), choices=Audience.choices, widget=forms.RadioSelect)
    chosen = forms.MultipleChoiceField(
        label=_("Chosen facilities"), required=False, widget=forms.SelectMultiple(attrs={"size": 8})
    )

    field_order = [
        "client_id",
        "title_vi",
        "title_en",
        "code",
        "kind",
        "specialty",
        "audience",
        "chosen",
        "body",
        "document",
        "effective_on",
        "review_on",
    ]

    def __init__(self, *args: Any, facilities: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["chosen"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = facilities
        del self.fields["change_note"]
