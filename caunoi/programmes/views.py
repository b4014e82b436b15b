from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render

from caunoi.accounts.http import AuthedRequest
from caunoi.network.access import user_scope
from caunoi.network.models import Role
from caunoi.programmes.access import access_programme, visible_programmes
from caunoi.programmes.iati import activities_xml
from caunoi.programmes.models import KitStatus, Programme
from caunoi.programmes.selectors import grant_share, idle_kits, portfolio, with_money


@login_required
def programme_list(request: AuthedRequest) -> HttpResponse:
    """The programmes the reader follows, and the portfolio's figures over them."""
    scope = user_scope(request.user)
    programmes = visible_programmes(request.user).prefetch_related("partners__partner")
    readers = scope.is_network_admin or scope.province_ids or Role.DONOR in scope.roles
    if not readers and not programmes.exists():
        raise Http404
    page = Paginator(programmes, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "programmes/programme_list.html",
        {"page": page, "query": "", "figures": portfolio(programmes)},
    )


# A kit whose facility used it for none of this many days is listed as idle.
IDLE_DAYS = 60


def _kits(p: Programme) -> dict[str, int]:
    counts = {value: 0 for value, _label in KitStatus.choices}
    for status in p.kits.values_list("status", flat=True):
        counts[status] += 1
    return counts


@login_required
def programme_detail(request: AuthedRequest, public_id: str) -> HttpResponse:
    p = access_programme(request.user, public_id)
    money = with_money(Programme.objects.filter(pk=p.pk)).get()
    return render(
        request,
        "programmes/programme_detail.html",
        {
            "p": p,
            "partners": p.partners.select_related("partner").order_by("role"),
            "provinces": list(p.provinces.all()),
            "priorities": list(p.priority_areas.all()),
            "transactions": p.transactions.select_related("provider").order_by("on", "id"),
            "committed": getattr(money, "committed"),  # noqa: B009 -- annotated
            "disbursed": getattr(money, "disbursed"),  # noqa: B009
            "grant_share": grant_share(
                getattr(money, "committed"),  # noqa: B009
                getattr(money, "grant_committed"),  # noqa: B009
            ),
            "kits": _kits(p),
            "idle": idle_kits(p.kits.all(), days=IDLE_DAYS),
            "idle_days": IDLE_DAYS,
        },
    )


@login_required
def programme_iati(request: AuthedRequest, public_id: str) -> HttpResponse:
    """The programme as an IATI 2.03 activity file."""
    p = access_programme(request.user, public_id)
    response = HttpResponse(activities_xml([p]), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="iati-{p.code}.xml"'
    return response
