from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from caunoi.accounts.http import AuthedRequest
from caunoi.accounts.models import User
from caunoi.monitoring.access import allowed_places, default_place, resolve_place
from caunoi.monitoring.catalogue import Place
from caunoi.monitoring.charts import chart_for
from caunoi.monitoring.dashboard_cache import cached_figures, figures_key, keep_figures
from caunoi.monitoring.dashboards import dashboard_tables, headline
from caunoi.monitoring.dhis2 import data_value_set, dhis2_push
from caunoi.monitoring.exports import table_csv, table_xlsx
from caunoi.monitoring.freshness import snapshot
from caunoi.monitoring.models import FactState
from caunoi.monitoring.periods import Period, month_after, parse_period
from caunoi.monitoring.report import province_report_pdf
from caunoi.network.access import user_scope
from caunoi.network.models import Facility, Role
from caunoi.places.models import Province


def _period_choices() -> list[tuple[str, str]]:
    today = timezone.localdate()
    first = date(today.year, today.month, 1)
    months = [month_after(first, -n) for n in range(12)]
    choices = [(f"{m:%Y-%m}", f"{m:%m/%Y}") for m in months]
    quarter = (today.month - 1) // 3 + 1
    choices += [
        (f"{today.year}-Q{q}", _("quarter %(q)s/%(year)s") % {"q": q, "year": today.year})
        for q in range(quarter, 0, -1)
    ]
    choices += [(str(today.year), str(today.year)), (str(today.year - 1), str(today.year - 1))]
    return choices


def _place_choices(user: User) -> list[tuple[str, str]]:
    allowed = allowed_places(user)
    choices: list[tuple[str, str]] = []
    if allowed["network"]:
        choices.append(("network", _("Whole network")))
        provinces = Province.objects.filter(facilities__isnull=False).distinct().order_by("name")
    else:
        provinces = Province.objects.filter(code__in=allowed["provinces"]).order_by("name")
    choices += [(str(p.code), p.name) for p in provinces]
    for f in Facility.objects.filter(id__in=allowed["facilities"]).order_by("name"):
        choices.append((str(f.public_id), f.name))
    return choices


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    """Aggregates only; cells under 5 patients are shown as "•" (suppressed)."""
    place_text = request.GET.get("place") or default_place(request.user)
    place = resolve_place(request.user, place_text)
    try:
        period = parse_period(request.GET.get("period") or f"{timezone.localdate():%Y-%m}")
    except ValueError as exc:
        raise Http404 from exc
    with snapshot():  # every figure of the page, or of the export, from one moment
        return _dashboard(request, place, period)


def _dashboard(request: AuthedRequest, place: Place, period: Period) -> HttpResponse:
    export = request.GET.get("export")
    if export == "pdf" and place.kind == "province":
        province = Province.objects.get(code=place.province_code or 0)
        response = HttpResponse(
            province_report_pdf(province, period), content_type="application/pdf"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="bao-cao-{province.codename}-{period.label}.pdf"'
        )
        return response
    if export == "dhis2":
        response = JsonResponse(
            data_value_set(period, within=[place]),
            json_dumps_params={"ensure_ascii": False},
        )
        response["Content-Disposition"] = (
            f'attachment; filename="dhis2-{place.key}-{period.label}.json"'
        )
        return response
    if export in ("csv", "xlsx"):
        tables = dashboard_tables(period, place)
        table = next((t for t in tables if t.key == request.GET.get("table")), None)
        if table is None:
            raise Http404
        filename = f"caunoi-{table.key}-{place.key}-{period.label}"
        return table_csv(table, filename) if export == "csv" else table_xlsx(table, filename)
    # Read in the snapshot with the figures: the key names the moment they are of.
    as_of = FactState.objects.values_list("refreshed_at", flat=True).first()
    query = f"place={place.key}&period={period.label}"
    key = figures_key(place=place, period=period, refreshed_at=as_of)
    figures = cached_figures(key) if key else None
    if figures is None:
        figures = render_to_string(
            "monitoring/_figures.html",
            {
                "headline": headline(period, place),
                "query": query,
                "sections": [(t, chart_for(t)) for t in dashboard_tables(period, place)],
            },
        )
        if key:
            keep_figures(key, figures)
    if place.kind == "province":
        title = Province.objects.get(code=place.province_code or 0).name
    elif place.facility is not None:
        title = place.facility.name
    else:
        title = _("Whole network")
    return render(
        request,
        "monitoring/dashboard.html",
        {
            "period": period,
            "place": place,
            "title": title,
            "figures": mark_safe(figures),  # noqa: S308 (our own template's output)
            "period_choices": _period_choices(),
            "place_choices": _place_choices(request.user),
            "query": query,
            "can_push": place.kind != "facility" and bool(settings.DHIS2_URL),
            "as_of": as_of,
        },
    )


@login_required
@require_POST
def dhis2_send(request: AuthedRequest) -> HttpResponse:
    """Network administrators push the network, officers their province."""
    scope = user_scope(request.user)
    if not (scope.is_network_admin or Role.OFFICER in scope.roles):
        raise Http404
    place = resolve_place(request.user, request.POST.get("place", ""))
    if place.kind == "facility":
        raise Http404
    try:
        period = parse_period(request.POST.get("period", ""))
    except ValueError as exc:
        raise Http404 from exc
    push = dhis2_push(period=period, actor=request.user, within=[place])
    if push.ok:
        messages.success(request, _("%(count)s values sent to DHIS2.") % {"count": push.values})
    else:
        messages.error(
            request,
            _("DHIS2 refused the data (status %(status)s).") % {"status": push.status or "—"},
        )
    return redirect(f"{reverse('monitoring:dashboard')}?place={place.key}&period={period.label}")
