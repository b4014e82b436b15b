"""A programme's logframe read against what happened: per indicator and period, the target,
the actual and a traffic light.

An actual is **entered** (with its evidence) or **computed**: an indicator bound to an M&E
catalogue code (``bound_code``) is computed by the M&E engine itself
(``monitoring.indicators.compute``) over the programme's *scope* — its provinces and its
facilities together (``Place.scope``: a row counts when its facility is one of the programme's
or lies in one of its provinces) — and over the target's period cut to the programme's dates
(a programme that starts on 15/06/2023 counts nothing of 2023 before that day). So the figure
is the dashboards' own, with the same small-cell suppression: a period that counts 1 to 4
patients (or people, for training) shows "•", never the figure.

The light (``Progress.state``), for a period that has ended: *met* when the actual reaches the
target (for an indicator where lower is better, when it is at or below it), *near* within 80 %
of it, *behind* below; *missing* when a past period has a target and no actual (nothing
entered, or nothing the platform could compute); a period still running is *running* and one
to come *future* (the figure so far is shown, without a light); a suppressed actual has no
light (its value is not shown)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from caunoi.monitoring.catalogue import BY_CODE, Indicator, Place
from caunoi.monitoring.figures import figure_text
from caunoi.monitoring.freshness import snapshot
from caunoi.monitoring.indicators import compute
from caunoi.monitoring.periods import Period, parse_period, period_text
from caunoi.programmes.models import (
    EnteredActual,
    LogframeIndicator,
    LogframeResult,
    Measure,
    Programme,
    ResultLevel,
)

# An ended period within this share of its target is "near", below it "behind".
NEAR = Decimal("0.8")
# The periods a target may name: a year, a quarter or a month (the M&E engine's periods).
TARGET_GRAINS = ("year", "quarter", "month")

STATES = {
    "met": _("met"),
    "near": _("near the target"),
    "behind": _("behind"),
    "missing": _("no actual"),
    "running": pgettext_lazy("period", "under way"),
    "future": _("to come"),
    "suppressed": _("fewer than 5: not shown"),
    "none": _("no target"),
}


def programme_scope(p: Programme) -> Place:
    return Place.scope(
        p.provinces.values_list("code", flat=True), p.facilities.values_list("pk", flat=True)
    )


def parse_target_period(text: str) -> Period:
    """A year ("2025"), a quarter ("2025-Q3") or a month ("2025-10"); ValueError otherwise."""
    period = parse_period(text)
    if period.grain not in TARGET_GRAINS:
        raise ValueError(text)
    return period


def within(period: Period, p: Programme) -> Period | None:
    """The period cut to the programme's dates, or None when they do not meet."""
    start = max(period.start, p.starts_on)
    end = min(period.end, p.ends_on + timedelta(days=1))
    if start >= end:
        return None
    return Period(period.grain, start, end)


@dataclass
class Progress:
    period: str  # the target's period as written: "2025", "2025-Q3", "2025-10"
    text: str  # as a person reads it: "năm 2025"
    target: Decimal | None
    actual: float | None
    suppressed: bool
    state: str
    unit: str
    entered: EnteredActual | None = None

    @property
    def short(self) -> str:
        """The period in few characters, for a phone's table: 2025, Q3/2025, 10/2025."""
        if "-Q" in self.period:
            year, quarter = self.period.split("-Q")
            return f"Q{quarter}/{year}"
        if "-" in self.period:
            year, month = self.period.split("-")
            return f"{month}/{year}"
        return self.period

    @property
    def state_text(self) -> str:
        return str(STATES[self.state])

    @property
    def target_text(self) -> str:
        return "—" if self.target is None else figure_text(float(self.target), self.unit)

    @property
    def actual_text(self) -> str:
        return figure_text(self.actual, self.unit, self.suppressed)

    def as_dict(self) -> dict[str, object]:
        return {
            "period": self.period,
            "target": None if self.target is None else float(self.target),
            "actual": None if self.suppressed else self.actual,
            "suppressed": self.suppressed,
            "source": "entered"
            if self.entered
            else "computed"
            if self.actual is not None
            else None,
            "state": self.state,
        }


@dataclass
class IndicatorProgress:
    indicator: LogframeIndicator
    bound: Indicator | None
    unit: str
    periods: list[Progress]

    @property
    def missing(self) -> list[str]:
        """The past periods with a target and no actual."""
        return [p.period for p in self.periods if p.state == "missing"]

    @property
    def baseline_text(self) -> str:
        b = self.indicator.baseline
        return "—" if b is None else figure_text(float(b), self.unit)


@dataclass
class ResultProgress:
    result: LogframeResult
    indicators: list[IndicatorProgress]
    children: list[ResultProgress] = field(default_factory=list)


def unit_of(i: LogframeIndicator) -> str:
    bound = BY_CODE.get(i.bound_code)
    if bound is not None:
        return bound.unit
    return "percent" if i.measure == Measure.PERCENT else "count"


def light(actual: float | None, target: Decimal | None, ascending: bool, *, ended: bool) -> str:
    if target is None:
        return "none"
    if not ended:
        return "running"
    if actual is None:
        return "missing"
    value = Decimal(str(actual))
    if ascending:
        reached = value >= target
        ratio = value / target if target else Decimal(1)
    else:
        reached = value <= target
        ratio = target / value if value else Decimal(1)
    if reached:
        return "met"
    return "near" if ratio >= NEAR else "behind"


def indicator_progress(
    p: Programme, i: LogframeIndicator, place: Place, today: date
) -> IndicatorProgress:
    bound = BY_CODE.get(i.bound_code)
    unit = unit_of(i)
    entered = {a.period: a for a in i.actuals.all()}
    rows = []
    for t in sorted(i.targets.all(), key=lambda t: parse_period(t.period).start):
        period = parse_target_period(t.period)
        cut = within(period, p)
        actual: float | None = None
        suppressed = False
        mine = entered.get(t.period)
        if mine is not None:
            actual = float(mine.value)
        elif bound is not None and cut is not None and cut.start <= today:
            cell = compute(bound, cut, place).total
            actual, suppressed = cell.value, cell.suppressed
        if period.start > today:
            state = "future"
        elif suppressed:
            state = "suppressed"
        else:
            state = light(actual, t.value, i.ascending, ended=period.end <= today)
        rows.append(
            Progress(t.period, period_text(period), t.value, actual, suppressed, state, unit, mine)
        )
    return IndicatorProgress(i, bound, unit, rows)


def progress(p: Programme, *, today: date | None = None) -> list[ResultProgress]:
    """The logframe as a tree (the goal, its outcomes, their outputs), each indicator with its
    periods. Every computed actual is read in one snapshot of the figures."""
    today = today or timezone.localdate()
    results = list(
        LogframeResult.objects.filter(programme=p)
        .select_related("parent")
        .prefetch_related("indicators__targets", "indicators__actuals")
    )
    place = programme_scope(p)
    nodes: dict[int, ResultProgress] = {}
    with snapshot():
        for r in results:
            nodes[r.pk] = ResultProgress(
                r, [indicator_progress(p, i, place, today) for i in r.indicators.all()]
            )
    roots: list[ResultProgress] = []
    for r in results:
        parent = nodes.get(r.parent_id) if r.parent_id else None
        (parent.children if parent is not None else roots).append(nodes[r.pk])
    order = {level: n for n, level in enumerate(ResultLevel.values)}
    roots.sort(key=lambda n: (order[n.result.level], n.result.code))
    return roots


def flatten(tree: list[ResultProgress]) -> list[ResultProgress]:
    """The results in reading order: each followed by the results under it."""
    out: list[ResultProgress] = []
    for node in tree:
        out.append(node)
        out.extend(flatten(node.children))
    return out
