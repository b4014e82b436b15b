"""Consultation and facility indicators aggregated in the database from the consultation facts.

The same definitions as the row-by-row reference in ``engine.py`` (``compute_raw``), which the
tests compare against for every indicator and breakdown: counts, shares and distinct patients are
SQL aggregates grouped by the breakdown; medians and percentiles are PostgreSQL's nearest-rank
ordered-set aggregates, finished in Python as the reference finishes them (on SQLite the column of
minutes is read and the reference's own code applies); the vulnerable groups, where one
consultation can count in several, are one filtered aggregate per group. Network and province
figures over whole months come from the monthly roll-ups (``rollups.py``).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek, TruncYear
from django.utils import timezone
from django.utils.translation import get_language

from caunoi.accounts.models import User
from caunoi.monitoring import rollups
from caunoi.monitoring.catalogue import VULNERABLE, Cell, Indicator, Place
from caunoi.monitoring.engine import (
    Result,
    facility_rows,
    grassroots_facilities,
    make_cell,
    ordered,
    result_from_rows,
)
from caunoi.monitoring.freshness import ensure_fresh
from caunoi.monitoring.models import ConsultFact
from caunoi.monitoring.periods import GRAINS, Period, period_label
from caunoi.network.models import Facility, Specialty

DAY = {
    "consults": "submitted_on",
    "consults_answered": "answered_on",
    "consults_closed": "closed_on",
}
SOURCES = (*DAY, "facilities")
COLUMN = {
    "province": "province_code",
    "commune": "commune_code",
    "facility": "facility_id",
    "hub": "hub_id",
    "specialty": "specialty_id",
    "specialist": "specialist_id",
    "urgency": "urgency",
    "sex": "sex",
    "age_band": "age_band",
}
TRUNC = {"week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}
Figures = tuple[float | None, float | None, float | None]


def _facts(source: str, period: Period, place: Place) -> QuerySet[ConsultFact]:
    day = DAY[source]
    qs = ConsultFact.objects.filter(**{f"{day}__gte": period.start, f"{day}__lt": period.end})
    if place.kind == "province":
        return qs.filter(province_code=place.province_code or 0)
    if place.kind == "scope":
        return qs.filter(
            Q(province_code__in=sorted(place.province_codes))
            | Q(facility_id__in=sorted(place.facility_ids))
        )
    if place.kind == "facility" and place.facility is not None:
        if place.facility.is_hub:
            return qs.filter(hub_id=place.facility.pk)
        return qs.filter(facility_id=place.facility.pk)
    return qs


def _share(numerator: int, denominator: int) -> Figures:
    return (
        numerator,
        denominator,
        (round(100 * numerator / denominator, 1) if denominator else None),
    )


def _measures(indicator: Indicator) -> tuple[dict[str, Any], Callable[[dict[str, Any]], Figures]]:
    """The SQL aggregates an indicator needs, and how its figures follow from them."""
    code = indicator.code
    if code == "answered_in_time":
        now = timezone.now()
        judged = Q(deadline_at__isnull=False) & (
            Q(first_response_at__isnull=False) | Q(deadline_at__lt=now)
        )
        in_time = Q(deadline_at__isnull=False, first_response_at__lte=F("deadline_at"))
        return (
            {"num": Count("pk", filter=in_time), "den": Count("pk", filter=judged)},
            lambda a: _share(a["num"], a["den"]),
        )
    if code in ("resolved_locally", "vulnerable_reach"):
        flag = Q(resolved_locally=True) if code == "resolved_locally" else Q(vulnerable=True)
        return {"num": Count("pk", filter=flag)}, lambda a: _share(a["num"], a["n"])
    # Counts; the medians and the active workers are completed from other queries.
    return {}, lambda a: (a["n"], None, a["n"])


def _quantile(q: float, values: list[float]) -> Figures:
    if not values:
        return None, 0, None
    values.sort()
    if q == 0.5:
        value = statistics.median(values)
    else:
        value = values[max(0, math.ceil(q * len(values)) - 1)]
    return None, len(values), round(value, 1)


def _group_expr(by: str, source: str) -> Any:
    if by == "day":
        return F(DAY[source])
    if by in TRUNC:
        return TRUNC[by](DAY[source])
    return F(COLUMN[by])


class _Labels:
    """(key, label) of a group value, as the row-by-row reference names them."""

    def __init__(self, by: str, values: set[Any]) -> None:
        self.by = by
        ids = [v for v in values if v is not None]
        self.names: dict[Any, tuple[str, str]] = {}
        if by in ("facility", "hub"):
            self.names = {
                f["id"]: (str(f["public_id"]), f["name"])
                for f in Facility.objects.filter(pk__in=ids).values("id", "public_id", "name")
            }
        elif by == "specialty":
            english = (get_language() or "vi").startswith("en")
            self.names = {
                s["id"]: (s["code"], s["name_en"] if english else s["name_vi"])
                for s in Specialty.objects.filter(pk__in=ids).values(
                    "id", "code", "name_vi", "name_en"
                )
            }
        elif by == "specialist":
            self.names = {
                u["id"]: (str(u["id"]), u["full_name"] or "—")
                for u in User.objects.filter(pk__in=ids).values("id", "full_name")
            }

    def __call__(self, value: Any) -> tuple[str, str]:
        by = self.by
        if by in GRAINS:
            if isinstance(value, datetime):
                value = value.date()
            label = period_label(
                by, value if isinstance(value, date) else date.fromisoformat(value)
            )
            return label, label
        if by in ("facility", "hub", "specialty", "specialist") and value in self.names:
            return self.names[value]
        if by == "hub":
            return "None", "—"
        if by == "specialist":
            return "none", "—"
        return str(value), str(value)


def _grouped(
    qs: QuerySet[ConsultFact], by: str, source: str, aggregates: dict[str, Any]
) -> dict[Any, dict[str, Any]]:
    """Aggregates per group value (one query); the total when ``by`` is empty."""
    aggregates = {"n": Count("pk"), "patients": Count("patient_id", distinct=True), **aggregates}
    if not by:
        return {None: qs.aggregate(**aggregates)}
    grouped: Any = qs.annotate(group=_group_expr(by, source)).values("group")
    rows: list[dict[str, Any]] = list(grouped.annotate(**aggregates).order_by())
    return {row.pop("group"): row for row in rows}


def _values_by_group(
    qs: QuerySet[ConsultFact], by: str, source: str, column: str
) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = defaultdict(list)
    if not by:
        out[None] = list(qs.values_list(column, flat=True))
        return out
    for group, value in qs.annotate(group=_group_expr(by, source)).values_list("group", column):
        out[group].append(value)
    return out


class _Rank(Aggregate):
    """PostgreSQL's ``percentile_disc(q)``: the nearest rank, the value at position ``ceil(q·n)``.
    Several of them over the same column share one sort."""

    template = "percentile_disc(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, fraction: float) -> None:
        super().__init__(expression, fraction=repr(float(fraction)))


# Just above one half: ceil((½ + ε)·n) is the upper middle position, n/2 + 1 for an even n and
# the middle itself for an odd n, as long as n·ε < ½ (n below 500 million minutes per cell).
UPPER_MIDDLE = 0.5 + 1e-9


def _quantiles(qs: QuerySet[ConsultFact], by: str, source: str, q: float) -> dict[Any, Figures]:
    """The median (q = 0.5) or a percentile of the minutes to first response, per group."""
    qs = qs.filter(response_minutes__isnull=False)
    if connection.vendor != "postgresql":  # SQLite: take the column and finish in Python
        minutes = _values_by_group(qs, by, source, "response_minutes")
        return {g: _quantile(q, values) for g, values in minutes.items()}
    # Count the minutes, not the rows: the index holds them (an index-only scan). The median is
    # the mean of the two middle values computed as statistics.median computes it, (a + b) / 2:
    # PostgreSQL's percentile_cont interpolates as a + (b - a) / 2, which may differ in the last
    # bit and so in the rounded figure.
    measures: dict[str, Any] = {
        "count": Count("response_minutes"),
        "value": _Rank("response_minutes", q),
    }
    if q == 0.5:
        measures["upper"] = _Rank("response_minutes", UPPER_MIDDLE)
    if by:
        grouped: Any = qs.annotate(group=_group_expr(by, source)).values("group")
        rows = {r.pop("group"): r for r in grouped.annotate(**measures).order_by()}
    else:
        rows = {None: qs.aggregate(**measures)}
    out: dict[Any, Figures] = {}
    for g, r in rows.items():
        if not r["count"]:
            out[g] = (None, 0, None)
            continue
        value = (r["value"] + r["upper"]) / 2 if q == 0.5 else r["value"]
        out[g] = (None, r["count"], round(value, 1))
    return out


def _cells(
    indicator: Indicator, qs: QuerySet[ConsultFact], by: str, source: str
) -> dict[Any, Cell]:
    """Cells per group value (a single ``None`` group for the total)."""
    aggregates, figures = _measures(indicator)
    groups = _grouped(qs, by, source, aggregates)
    code = indicator.code
    extra: dict[Any, Figures] = {}
    if code in ("response_time_median", "response_time_p90"):
        extra = _quantiles(qs, by, source, 0.5 if code == "response_time_median" else 0.9)
        extra = {g: extra.get(g, (None, 0, None)) for g in groups}
    elif code == "active_health_workers":
        people = _values_by_group(qs, by, source, "requester_id")
        answering = _values_by_group(
            qs.filter(answered=True, specialist_id__isnull=False), by, source, "specialist_id"
        )
        for g in groups:
            count = len(set(people.get(g, [])) | set(answering.get(g, [])))
            extra[g] = (count, None, count)
    labels = _Labels(by, set(groups)) if by else None
    cells = {}
    for group, agg in groups.items():
        key, label = labels(group) if labels else ("total", "total")
        cells[group] = make_cell(
            indicator, key, label, extra.get(group) or figures(agg), agg["patients"]
        )
    return cells


def _vulnerability_cells(
    indicator: Indicator, qs: QuerySet[ConsultFact], source: str
) -> list[Cell]:
    """A consultation counts in every group its patient belongs to; "none" if in no group."""
    cells = []
    for group in (*VULNERABLE, "none"):
        members = qs.filter(vulnerable=False) if group == "none" else qs.filter(**{group: True})
        cell = _cells(indicator, members, "", source)[None]
        if cell.patients:  # the group has consultations (every one has a patient)
            cell.key = cell.label = group
            cells.append(cell)
    return cells


# --- from the monthly roll-ups ----------------------------------------------------------------------

ROLLUP_CODES = {
    "consults_submitted",
    "consults_answered",
    "consults_closed",
    "answered_in_time",
    "resolved_locally",
    "vulnerable_reach",
}
QUANTILES = {"response_time_median": 0.5, "response_time_p90": 0.9}
ROLLUP_BY = {"", "month", "quarter", "year", "province", *rollups.DIMS}
LABELLED = ("hub", "facility", "specialty")  # keys that are ids, named from their table


def _period_of(grain: str, day: date) -> str:
    if grain == "week":
        day = day - timedelta(days=day.weekday())
    elif grain == "month":
        day = day.replace(day=1)
    elif grain == "quarter":
        day = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    elif grain == "year":
        day = date(day.year, 1, 1)
    return period_label(grain, day)


def _rollup_group(by: str, day: date, province: int | None, key: str) -> Any:
    if not by:
        return None
    if by in GRAINS:
        return _period_of(by, day)
    if by == "province":
        return province
    return key


def _overdue(source: str, by: str, period: Period, place: Place, now: datetime) -> dict[Any, int]:
    """Consultations not answered and past their deadline now, per group: the part of the
    deadline indicator that depends on the moment it is asked (few rows, counted in the
    database from the facts, named as the roll-ups name their groups)."""
    late = _facts(source, period, place).filter(
        first_response_at__isnull=True, deadline_at__isnull=False, deadline_at__lt=now
    )
    if by == "vulnerability":
        counts = late.aggregate(
            none=Count("pk", filter=Q(vulnerable=False)),
            **{g: Count("pk", filter=Q(**{g: True})) for g in VULNERABLE},
        )
        return {g: c for g, c in counts.items() if c}
    if not by:
        return {None: late.count()}
    grouped: Any = late.annotate(group=_group_expr(by, source)).values("group")
    return {
        _same_group(by, row["group"]): row["n"]
        for row in grouped.annotate(n=Count("pk")).order_by()
    }


def _same_group(by: str, value: Any) -> Any:
    """A group value from a facts query, named as the roll-ups name it."""
    if not by:
        return None
    if by in GRAINS:
        return period_label(by, value.date() if isinstance(value, datetime) else value)
    if by == "province":
        return value
    return str(value)


def _from_rollups(indicator: Indicator, period: Period, place: Place, by: str) -> Result:
    source = indicator.source
    province = (place.province_code or 0) if place.kind == "province" else None
    now = timezone.now()

    def sums(by: str) -> dict[Any, rollups.Sums]:
        out: dict[Any, rollups.Sums] = defaultdict(rollups.Sums)
        dim = by if by in rollups.DIMS else ""
        for month, prov, key, row in rollups.read(source, dim, period.start, period.end, province):
            out[_rollup_group(by, month, prov, key)].merge(row)
        return out

    quantiles: dict[Any, Figures] = {}

    def figures(group: Any, s: rollups.Sums, overdue: int) -> Figures:
        code = indicator.code
        if code in QUANTILES:
            return quantiles.get(group, (None, 0, None))
        if code == "answered_in_time":
            return _share(s.in_time, s.responded + overdue)
        if code == "resolved_locally":
            return _share(s.resolved, s.n)
        if code == "vulnerable_reach":
            return _share(s.vulnerable, s.n)
        return s.n, None, s.n

    def cells(by: str) -> dict[Any, Cell]:
        groups = sums(by)
        late = (
            _overdue(source, by, period, place, now) if indicator.code == "answered_in_time" else {}
        )
        if indicator.code in QUANTILES:
            # The minutes themselves come from the facts; the patients, for suppression, from
            # the roll-ups of the consultations sent.
            quantiles.clear()
            for g, q in _quantiles(
                _facts(source, period, place), by, source, QUANTILES[indicator.code]
            ).items():
                quantiles[_same_group(by, g)] = q
        if not by:
            groups.setdefault(None, rollups.Sums())
        labels = _Labels(by, {int(g) for g in groups if by in LABELLED and g != "None"})
        out = {}
        for group, s in groups.items():
            if by in LABELLED:
                key, label = labels(None if group == "None" else int(group))
            elif by:  # periods, provinces, urgency, sex, age band, vulnerable group
                key = label = str(group)
            else:
                key, label = "total", "total"
            out[group] = make_cell(
                indicator, key, label, figures(group, s, late.get(group, 0)), len(s.patients)
            )
        return out

    total = cells("")[None]
    parts = ordered(by, cells(by).values()) if by else []
    return Result(indicator, period, place, by, total, parts)


def _sent_by_facility(period: Period, place: Place) -> dict[int, int]:
    """Consultations sent per grassroots facility of the place."""
    facilities = grassroots_facilities(place)
    if place.kind in ("network", "province") and rollups.whole_months(period.start, period.end):
        ids = set(facilities.values_list("pk", flat=True))
        province = (place.province_code or 0) if place.kind == "province" else None
        sent: dict[int, int] = defaultdict(int)
        for _month, _prov, key, row in rollups.read(
            "consults", "facility", period.start, period.end, province
        ):
            if key != "None" and int(key) in ids:
                sent[int(key)] += row.n
        return sent
    return dict(
        _facts("consults", period, place)
        .filter(facility_id__in=facilities.values("pk"))
        .values_list("facility_id")
        .annotate(n=Count("pk"))
        .order_by()
    )


def compute(indicator: Indicator, period: Period, place: Place, by: str = "") -> Result:
    ensure_fresh()
    if (
        (indicator.code in ROLLUP_CODES or (indicator.code in QUANTILES and by != "vulnerability"))
        and by in ROLLUP_BY
        and place.kind in ("network", "province")
        and rollups.whole_months(period.start, period.end)
    ):
        return _from_rollups(indicator, period, place, by)
    if indicator.source == "facilities":
        sent = _sent_by_facility(period, place)
        return result_from_rows(
            indicator, period, place, by, facility_rows(period, place, sent=sent)
        )
    source = indicator.source
    qs = _facts(source, period, place)
    total = _cells(indicator, qs, "", source)[None]
    cells: list[Cell] = []
    if by == "vulnerability":
        cells = ordered(by, _vulnerability_cells(indicator, qs, source))
    elif by:
        cells = ordered(by, _cells(indicator, qs, by, source).values())
    return Result(indicator, period, place, by, total, cells)
