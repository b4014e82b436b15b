"""Monthly roll-ups of the consultation facts (``MonthlyRollup``): build them for the months and
provinces whose facts changed, and read them back summed over a period of whole months.

A roll-up cell is rebuilt whole from the facts, never adjusted by differences, so a refresh that
runs twice, or a cell rebuilt for nothing, still gives the exact sums. Periods that are not whole
months (a day, a week) are read from the facts, which are few for such a period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Case, F, Max, Min, Q, Value, When

from caunoi.monitoring.catalogue import VULNERABLE
from caunoi.monitoring.models import ConsultFact, MonthlyRollup
from caunoi.monitoring.periods import month_after

DAY = {
    "consults": "submitted_on",
    "consults_answered": "answered_on",
    "consults_closed": "closed_on",
}
DIMS = ("", "hub", "facility", "specialty", "urgency", "sex", "age_band", "vulnerability")
SMALLEST = 5
# What a roll-up needs of a fact, fetched as tuples; deadline compliance is decided in SQL.
COLUMNS = [
    "patient_id",
    "province_code",
    "hub_id",
    "facility_id",
    "specialty_id",
    "urgency",
    "sex",
    "age_band",
    "vulnerable",
    "resolved_locally",
    *VULNERABLE,
]
ANSWERED = Q(first_response_at__isnull=False, deadline_at__isnull=False)
# (source, first day of the month, province code): the unit a roll-up is rebuilt by.
Cell = tuple[str, date, int | None]


@dataclass
class Sums:
    n: int = 0
    in_time: int = 0
    responded: int = 0
    vulnerable: int = 0
    resolved: int = 0
    patients: list[int] = field(default_factory=list)  # the smallest distinct ids, at most 5

    def add_patient(self, patient: int) -> None:
        ids = self.patients
        if patient in ids or (len(ids) == SMALLEST and patient > ids[-1]):
            return
        ids.append(patient)
        ids.sort()
        del ids[SMALLEST:]

    def merge(self, other: Sums) -> None:
        self.n += other.n
        self.in_time += other.in_time
        self.responded += other.responded
        self.vulnerable += other.vulnerable
        self.resolved += other.resolved
        for patient in other.patients:
            self.add_patient(patient)


def group_keys(row: tuple[Any, ...]) -> list[tuple[str, str]]:
    """The breakdown groups a fact (a row of ``COLUMNS``) counts in."""
    _patient, _province, hub, facility, specialty, urgency, sex, band = row[:8]
    keys = [
        ("", ""),
        ("hub", str(hub)),
        ("facility", str(facility)),
        ("specialty", str(specialty)),
        ("urgency", urgency),
        ("sex", sex),
        ("age_band", band),
    ]
    flags = row[10 : 10 + len(VULNERABLE)]
    groups = [g for g, member in zip(VULNERABLE, flags, strict=True) if member]
    keys += [("vulnerability", g) for g in groups or ["none"]]
    return keys


def whole_months(start: date, end: date) -> bool:
    """Whether [start, end) is made of whole calendar months (month, quarter, year, ...)."""
    return start.day == 1 and end.day == 1 and start < end


def cells_of(facts: Iterable[dict[str, Any]]) -> set[Cell]:
    """The roll-up cells these facts count in (facts as dicts with the day columns)."""
    return {
        (source, f[column].replace(day=1), f["province_code"])
        for f in facts
        for source, column in DAY.items()
        if f[column] is not None
    }


def _province_q(codes: set[int | None]) -> Q:
    q = Q(province_code__in=[c for c in codes if c is not None])
    return q | Q(province_code__isnull=True) if None in codes else q


def _build(source: str, month: date, provinces: set[int | None] | None) -> int:
    """Replace the roll-ups of one month (of these provinces, or all) with sums of its facts."""
    column = DAY[source]
    where = Q(**{f"{column}__gte": month, f"{column}__lt": month_after(month, 1)})
    clear = Q(source=source, month=month)
    if provinces is not None:
        where &= _province_q(provinces)
        clear &= _province_q(provinces)
    sums: dict[tuple[int | None, str, str], Sums] = {}
    facts = (
        ConsultFact.objects.filter(where)
        .annotate(
            responded=Case(When(ANSWERED, then=Value(1)), default=Value(0)),
            in_time=Case(
                When(ANSWERED & Q(first_response_at__lte=F("deadline_at")), then=Value(1)),
                default=Value(0),
            ),
        )
        .values_list(*COLUMNS, "responded", "in_time")
    )
    width = len(COLUMNS)
    for row in facts.iterator(chunk_size=5000):
        patient, province, vulnerable, resolved = row[0], row[1], row[8], row[9]
        responded, in_time = row[width], row[width + 1]
        for dim, key in group_keys(row):
            s = sums.get((province, dim, key))
            if s is None:
                s = sums[(province, dim, key)] = Sums()
            s.n += 1
            s.in_time += in_time
            s.responded += responded
            s.vulnerable += vulnerable
            s.resolved += resolved
            ids = s.patients
            if len(ids) < SMALLEST or patient < ids[-1]:  # most are not among the five
                s.add_patient(patient)
    MonthlyRollup.objects.filter(clear).delete()
    MonthlyRollup.objects.bulk_create(
        [
            MonthlyRollup(
                source=source,
                month=month,
                province_code=province,
                dim=dim,
                key=key,
                n=s.n,
                in_time=s.in_time,
                responded=s.responded,
                vulnerable=s.vulnerable,
                resolved=s.resolved,
                **{f"p{i + 1}": p for i, p in enumerate(s.patients)},
            )
            for (province, dim, key), s in sums.items()
        ],
        batch_size=2000,
    )
    return len(sums)


def rebuild(cells: set[Cell]) -> int:
    """Rebuild the roll-ups of these cells (in the caller's transaction); returns rows written."""
    provinces: dict[tuple[str, date], set[int | None]] = defaultdict(set)
    for source, month, province in cells:
        provinces[(source, month)].add(province)
    return sum(_build(source, month, codes) for (source, month), codes in provinces.items())


def rebuild_all() -> int:
    """Every roll-up again from the facts, a month at a time."""
    MonthlyRollup.objects.all().delete()
    written = 0
    for source, column in DAY.items():
        span = ConsultFact.objects.aggregate(first=Min(column), last=Max(column))
        if span["first"] is None:
            continue
        month = span["first"].replace(day=1)
        while month <= span["last"]:
            written += _build(source, month, None)
            month = month_after(month, 1)
    return written


def read(
    source: str, dim: str, start: date, end: date, province: int | None
) -> Iterator[tuple[date, int | None, str, Sums]]:
    """The roll-up rows of whole months (and a province), as (month, province, key, sums)."""
    assert whole_months(start, end), (start, end)
    qs = MonthlyRollup.objects.filter(source=source, dim=dim, month__gte=start, month__lt=end)
    if province is not None:
        qs = qs.filter(province_code=province)
    for row in qs.values_list(
        "month",
        "province_code",
        "key",
        "n",
        "in_time",
        "responded",
        "vulnerable",
        "resolved",
        "p1",
        "p2",
        "p3",
        "p4",
        "p5",
    ):
        yield (
            row[0],
            row[1],
            row[2],
            Sums(*row[3:8], patients=[p for p in row[8:] if p is not None]),
        )
