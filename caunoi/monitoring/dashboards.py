"""The dashboards' tables, built from the indicator engine, so that pages, charts and exports
show exactly the same (suppressed) numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caunoi.consults.models import OPEN_STATUSES, Consultation
from caunoi.monitoring.indicators import BY_CODE, Place, compute
from caunoi.monitoring.periods import Period, month_after
from caunoi.places.models import Province

HEADLINE = [
    "consults_submitted",
    "answered_in_time",
    "response_time_median",
    "resolved_locally",
    "referrals",
    "referral_acceptance",
    "counter_referral_rate",
    "vulnerable_reach",
    "active_facilities",
    "video_sessions",
]


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart: str = ""  # "line" or "bar": drawn from the first column (labels) and second (values)
    links: list[str] = field(default_factory=list)  # drill-down link per row

    @property
    def linked_rows(self) -> list[tuple[list[Any], str | None]]:
        links: list[str | None] = list(self.links) or [None] * len(self.rows)
        return list(zip(self.rows, links, strict=True))

    def as_chart(self) -> dict[str, Any]:
        return {
            "type": self.chart,
            "labels": [str(r[0]) for r in self.rows],
            "series": [r[1] if isinstance(r[1], (int, float)) else None for r in self.rows],
        }


def _fmt(cell: Any) -> Any:
    return "•" if cell.suppressed else cell.value


def headline(period: Period, place: Place) -> list[dict[str, Any]]:
    out = []
    for code in HEADLINE:
        result = compute(BY_CODE[code], period, place)
        out.append({"indicator": BY_CODE[code], "cell": result.total})
    return out


def trend(period: Period, place: Place, code: str = "consults_submitted") -> Table:
    """The twelve months up to the chosen period, month by month."""
    end = period.end if period.grain == "month" else month_after(period.end, 0)
    start = month_after(date(end.year, end.month, 1), -12)
    span = Period("year", start, end)
    result = compute(BY_CODE[code], span, place, "month")
    return Table(
        "trend",
        _("%(indicator)s, month by month") % {"indicator": BY_CODE[code].name},
        [_("Month"), BY_CODE[code].name],
        [[c.label, _fmt(c)] for c in result.cells],
        chart="line",
    )


def comparison(period: Period, place: Place, dashboard_url: str) -> Table:
    """By province for the network, by facility for a province: with drill-down links."""
    by = "province" if place.kind == "network" else "facility"
    result = compute(BY_CODE["consults_submitted"], period, place, by)
    in_time = {c.key: c for c in compute(BY_CODE["answered_in_time"], period, place, by).cells}
    names = dict(Province.objects.values_list("code", "name")) if by == "province" else {}
    rows, links = [], []
    for c in sorted(result.cells, key=lambda x: -(x.value or 0)):
        label = names.get(int(c.key), c.key) if by == "province" and c.key.isdigit() else c.label
        rows.append([label, _fmt(c), _fmt(in_time[c.key]) if c.key in in_time else None])
        links.append(f"{dashboard_url}?place={c.key}&period={period.label}")
    title = _("Consultations by province") if by == "province" else _("Consultations by facility")
    return Table(
        "comparison",
        title,
        [_("Place"), _("Consultations"), _("Answered in time (%)")],
        rows,
        chart="bar",
        links=links,
    )


def _label(by: str, key: str, label: str) -> str:
    """Readable, translated labels for coded breakdowns."""
    from caunoi.consults.models import Urgency
    from caunoi.patients.models import Sex

    if by == "urgency" and key in Urgency.values:
        return str(Urgency(key).label)
    if by == "sex" and key in Sex.values:
        return str(Sex(key).label)
    if by == "vulnerability":
        return str(VULNERABILITY_LABELS.get(key, key))
    return label


VULNERABILITY_LABELS = {
    "ethnic_minority": gettext_lazy("ethnic minority"),
    "poor": gettext_lazy("poor household"),
    "near_poor": gettext_lazy("near-poor household"),
    "elderly": gettext_lazy("elderly (60+)"),
    "child_under_6": gettext_lazy("child under 6"),
    "none": gettext_lazy("none of these groups"),
}


def breakdown(period: Period, place: Place, code: str, by: str, title: str, column: str) -> Table:
    result = compute(BY_CODE[code], period, place, by)
    rows = [[_label(by, c.key, c.label), _fmt(c)] for c in result.cells]
    return Table(f"{code}-{by}", title, [column, BY_CODE[code].name], rows)


def specialist_compliance(period: Period, place: Place) -> Table:
    """For a hub: each specialist's consults answered and how many in time."""
    answered = compute(BY_CODE["consults_answered"], period, place, "specialist")
    in_time = {
        c.key: c for c in compute(BY_CODE["answered_in_time"], period, place, "specialist").cells
    }
    median = {
        c.key: c
        for c in compute(BY_CODE["response_time_median"], period, place, "specialist").cells
    }
    rows = [
        [
            c.label,
            _fmt(c),
            _fmt(in_time[c.key]) if c.key in in_time else None,
            _fmt(median[c.key]) if c.key in median else None,
        ]
        for c in answered.cells
        if c.key != "none"
    ]
    return Table(
        "specialists",
        _("Deadline compliance per specialist"),
        [
            _("Specialist"),
            _("Answered"),
            _("Answered in time (%)"),
            _("Median minutes to first response"),
        ],
        rows,
    )


def queue_health(place: Place) -> Table:
    """For a hub: what is waiting now (counts only)."""
    from django.utils import timezone

    assert place.facility is not None
    open_ = Consultation.objects.filter(hub=place.facility, status__in=OPEN_STATUSES)
    now = timezone.now()
    rows = [
        [_("Open"), open_.count()],
        [_("Waiting for a specialist"), open_.filter(specialist__isnull=True).count()],
        [_("Overdue"), open_.filter(first_response_at__isnull=True, deadline_at__lt=now).count()],
    ]
    return Table("queue", _("Queue now"), [_("Consultations"), _("Number")], rows)


def dashboard_tables(period: Period, place: Place) -> list[Table]:
    url = reverse("monitoring:dashboard")
    tables = [trend(period, place), comparison(period, place, url)]
    if place.kind == "facility" and place.facility is not None and place.facility.is_hub:
        tables = [queue_health(place), specialist_compliance(period, place), trend(period, place)]
    tables += [
        breakdown(
            period,
            place,
            "answered_in_time",
            "urgency",
            _("Answered in time, by urgency"),
            _("Urgency"),
        ),
        breakdown(
            period,
            place,
            "vulnerable_reach",
            "vulnerability",
            _("Consultations by vulnerable group"),
            _("Group"),
        ),
        breakdown(
            period,
            place,
            "consults_submitted",
            "specialty",
            _("Consultations by specialty"),
            _("Specialty"),
        ),
        breakdown(
            period,
            place,
            "consults_submitted",
            "age_band",
            _("Consultations by age band"),
            _("Age"),
        ),
        breakdown(period, place, "consults_submitted", "sex", _("Consultations by sex"), _("Sex")),
    ]
    return tables
