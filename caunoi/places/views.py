from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from caunoi.places.models import Commune


@login_required
def commune_options(request: HttpRequest) -> HttpResponse:
    """The <option>s of a province's communes, for the commune select of forms (htmx)."""
    province = request.GET.get("province", "")
    communes = (
        Commune.objects.filter(province__code=int(province)).only("id", "name").order_by("name")
        if province.isdigit()
        else Commune.objects.none()
    )
    return render(request, "places/commune_options.html", {"communes": communes})
