"""Reporting periods: "2026-10-05" (day), "2026-W42" (ISO week), "2026-10" (month), "2026-Q3"
(quarter), "2026" (year), in Vietnam's time zone, and the period a moment falls in for each grain."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _

TZ = ZoneInfo(settings.TIME_ZONE)
GRAINS = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True)
class Period:
    grain: str
    start: date
    end: date  # exclusive

    @property
    def label(self) -> str:
        return period_label(self.grain, self.start)

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, TZ)

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, time.min, TZ)


def month_after(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def parse_period(text: str) -> Period:
    text = text.strip().upper()
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        day = date(int(m[1]), int(m[2]), int(m[3]))
        return Period("day", day, day + timedelta(days=1))
    if m := re.fullmatch(r"(\d{4})-W(\d{2})", text):
        monday = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        return Period("week", monday, monday + timedelta(days=7))
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        first = date(int(m[1]), int(m[2]), 1)
        return Period("month", first, month_after(first, 1))
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
        first = date(int(m[1]), 3 * (int(m[2]) - 1) + 1, 1)
        return Period("quarter", first, month_after(first, 3))
    if m := re.fullmatch(r"(\d{4})", text):
        first = date(int(m[1]), 1, 1)
        return Period("year", first, date(first.year + 1, 1, 1))
    raise ValueError(text)


def period_start(grain: str, moment: datetime) -> date:
    """The first day of the ``grain`` period ``moment`` (aware) falls in, in Vietnam's time."""
    d = moment.astimezone(TZ).date()
    if grain == "day":
        return d
    if grain == "week":
        return d - timedelta(days=d.weekday())
    if grain == "month":
        return d.replace(day=1)
    if grain == "quarter":
        return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    return date(d.year, 1, 1)


def period_label(grain: str, start: date) -> str:
    if grain == "day":
        return start.isoformat()
    if grain == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return f"{start:%Y-%m}"
    if grain == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def current_month() -> Period:
    from django.utils import timezone

    return parse_period(f"{timezone.localdate():%Y-%m}")


def period_text(period: Period) -> str:
    """The period as a person reads it: "month 10/2026", "quarter 3/2026", "week 42/2026"…"""
    start = period.start
    if period.grain == "day":
        return _("day %(date)s") % {"date": date_format(start, "SHORT_DATE_FORMAT")}
    if period.grain == "week":
        year, week, _weekday = start.isocalendar()
        return _("week %(week)s/%(year)s") % {"week": week, "year": year}
    if period.grain == "month":
        return _("month %(month)s") % {"month": date_format(start, "YEAR_MONTH_FORMAT")}
    if period.grain == "quarter":
        return _("quarter %(q)s/%(year)s") % {"q": (start.month - 1) // 3 + 1, "year": start.year}
    return _("year %(year)s") % {"year": start.year}
