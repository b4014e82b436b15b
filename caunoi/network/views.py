from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from caunoi.core.access import get_or_404
from caunoi.network.access import access_facility, visible_facilities
from caunoi.network.forms import FacilityFilterForm
from caunoi.network.models import FacilityKind
from caunoi.network.selectors import (
    FacilityFilters,
    facility_directory,
    facility_staff,
    hubs_by_specialty,
    network_totals,
    province_kind_level_table,
    spokes_of,
)
from caunoi.places.models import Province


@login_required
def facility_list(request: HttpRequest) -> HttpResponse:
    form = FacilityFilterForm(request.GET or None)
    # Filters that are valid still apply when another one is not (the page says which failed).
    filters = FacilityFilters()
    if form.is_bound:
        form.is_valid()
        filters = form.filters()
    qs = facility_directory(request.user, filters)
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "network/facility_list.html"
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        template += "#results"
    return render(request, template, context)


@login_required
def facility_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    facility = access_facility(request.user, public_id)
    context: dict[str, object] = {
        "facility": facility,
        "staff": facility_staff(facility),
        "hubs": hubs_by_specialty(facility),
    }
    if facility.is_hub:
        page = Paginator(spokes_of(facility), 50).get_page(request.GET.get("page"))
        context["spokes"] = page
    return render(request, "network/facility_detail.html", context)


@login_required
def province_list(request: HttpRequest) -> HttpResponse:
    provinces = Province.objects.order_by("name")
    counts: dict[int, Mapping[str, Any]] = {
        row["province_id"]: row
        for row in visible_facilities(request.user).values("province_id").annotate(n=Count("id"))
    }
    rows = [(p, counts.get(p.id, {}).get("n", 0)) for p in provinces]
    return render(request, "network/province_list.html", {"rows": rows})


@login_required
def province_detail(request: HttpRequest, code: int) -> HttpResponse:
    province = get_or_404(Province.objects.all(), code=code)
    hospitals = (
        visible_facilities(request.user)
        .filter(province=province)
        .exclude(kind=FacilityKind.STATION)
        .select_related("commune")
        .order_by("kind", "name")
    )
    return render(
        request,
        "network/province_detail.html",
        {
            "province": province,
            "table": province_kind_level_table(province.id),
            "totals": network_totals(province.id),
            "hospitals": hospitals,
        },
    )
