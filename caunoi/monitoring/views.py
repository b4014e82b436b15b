from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from caunoi.core.http import AuthedRequest
from caunoi.monitoring.access import allowed_places, default_place, resolve_place
from caunoi.monitoring.dashboards import dashboard_tables, headline
from caunoi.monitoring.exports import table_csv, table_xlsx
from caunoi.monitoring.periods import month_after, parse_period
from caunoi.network.models import Facility
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


def _place_choices(user: object) -> list[tuple[str, str]]:
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
    tables = dashboard_tables(period, place)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        table = next((t for t in tables if t.key == request.GET.get("table")), None)
        if table is None:
            raise Http404
        filename = f"caunoi-{table.key}-{place.key}-{period.label}"
        return table_csv(table, filename) if export == "csv" else table_xlsx(table, filename)
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
            "headline": headline(period, place),
            "tables": tables,
            "period_choices": _period_choices(),
            "place_choices": _place_choices(request.user),
            "query": f"place={place.key}&period={period.label}",
            "charts": {t.key: t.as_chart() for t in tables if t.chart},
        },
    )
