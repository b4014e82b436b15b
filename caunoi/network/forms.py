from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from caunoi.network.models import FacilityKind, TechnicalLevel
from caunoi.network.selectors import FacilityFilters
from caunoi.places.models import Commune, Province


class FacilityFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name or code, e.g. tram y te lung cu")}
        ),
    )
    province = forms.TypedChoiceField(
        label=_("Province"), required=False, coerce=int, empty_value=None
    )
    commune = forms.TypedChoiceField(
        label=_("Commune"), required=False, coerce=int, empty_value=None
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *FacilityKind.choices]
    )
    level = forms.ChoiceField(
        label=_("Technical level"),
        required=False,
        choices=[("", _("All levels")), *TechnicalLevel.choices],
    )
    hub = forms.ChoiceField(
        label=_("Role in the network"),
        required=False,
        choices=[
            ("", _("Hubs and supported facilities")),
            ("1", _("Hubs")),
            ("0", _("Supported facilities")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provinces = Province.objects.only("code", "name").order_by("name")
        self.fields["province"].choices = [("", _("All provinces"))] + [  # type: ignore[attr-defined]
            (p.code, p.name) for p in provinces
        ]
        province_code = self.data.get("province") if self.is_bound else None
        communes: list[tuple[Any, Any]] = [("", _("All communes"))]
        if province_code and str(province_code).isdigit():
            communes += [
                (c.code, c.name)
                for c in Commune.objects.filter(province__code=int(province_code))
                .only("code", "name")
                .order_by("name")
            ]
        self.fields["commune"].choices = communes  # type: ignore[attr-defined]

    def filters(self) -> FacilityFilters:
        data = self.cleaned_data
        hub = {"1": True, "0": False}.get(data.get("hub") or "")
        return FacilityFilters(
            q=data.get("q") or "",
            province=data.get("province"),
            commune=data.get("commune"),
            kind=data.get("kind") or "",
            level=data.get("level") or "",
            hub=hub,
        )
