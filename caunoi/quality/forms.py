from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from caunoi.core.dateinputs import DateInput


def _choices(field: forms.Field, choices: list[tuple[str, str]]) -> None:
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class ScoreForm(forms.Form):
    criterion = forms.CharField(widget=forms.HiddenInput, max_length=20)
    level = forms.TypedChoiceField(label=_("Level"), coerce=int)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)
    evidence = forms.FileField(label=_("Evidence (PDF or photo)"), required=False)
    evidence_url = forms.URLField(
        label=_("or a link"), required=False, max_length=200, assume_scheme="https"
    )
    protocol = forms.ChoiceField(label=_("or a protocol or SOP"), required=False)

    def __init__(
        self, *args: Any, levels: int, protocols: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["level"], [(str(n), str(n)) for n in range(1, levels + 1)])
        _choices(self.fields["protocol"], [("", "—"), *protocols])


class ActionForm(forms.Form):
    criterion = forms.ChoiceField(label=_("Criterion"), required=False)
    action = forms.CharField(label=_("What will be done"), max_length=1000)
    owner = forms.ChoiceField(label=_("Owner"))
    due_on = forms.DateField(label=_("Due by"), widget=DateInput())

    def __init__(
        self,
        *args: Any,
        criteria: list[tuple[str, str]],
        owners: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["criterion"], [("", "—"), *criteria])
        _choices(self.fields["owner"], owners)
