"""Figures for people: a number in the reader's language (37,8 in Vietnamese, 37.8 in English,
through Django's l10n formats), with its unit named (%, min, h, days).

The API and the CSV export keep the indicator's own unit and a '.' decimal: they are for
programs. Pages, the monthly PDF and the XLSX export are for people and use these."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

SUPPRESSED = "•"
# Response times read best in minutes under an hour, in hours under three days, then in days.
HOUR = 60
THREE_DAYS = 72


def number(value: float, decimals: int = 0) -> str:
    """A number with the reader's decimal mark and thousands separator (1.234,5 / 1,234.5),
    rounded half up (Django's ``number_format`` cuts the extra digits off instead)."""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return str(number_format(rounded, decimals, use_l10n=True, force_grouping=True))


def _minutes(value: float) -> str:
    if value < HOUR:
        return _("%(number)s min") % {"number": number(round(value))}
    return _hours(value / 60)


def _hours(value: float) -> str:
    if value < THREE_DAYS:
        return _("%(number)s h") % {"number": number(value, 1)}
    return _days(value / 24)


def _days(value: float) -> str:
    one = round(value, 1) == 1
    return ngettext("%(number)s day", "%(number)s days", 1 if one else 2) % {
        "number": number(value, 1)
    }


def figure_text(value: float | None, unit: str, suppressed: bool = False) -> str:
    """``value`` in ``unit`` (an indicator's unit: count, percent, minutes, hours, days, ratio)
    as a person reads it; "•" when suppressed, "—" when there is nothing to measure."""
    if suppressed:
        return SUPPRESSED
    if value is None:
        return "—"
    if unit == "percent":
        return f"{number(value, 1)}%"
    if unit == "minutes":
        return _minutes(value)
    if unit == "hours":
        return _hours(value)
    if unit == "days":
        return _days(value)
    if unit == "ratio":
        return number(value, 2)
    return number(value, 0 if float(value).is_integer() else 1)


@dataclass(frozen=True)
class Figure:
    """One figure of a table: its value in the indicator's unit (what the API gives), whether it
    is suppressed, and how a person reads it."""

    value: float | None
    unit: str = "count"
    suppressed: bool = False

    @property
    def text(self) -> str:
        return figure_text(self.value, self.unit, self.suppressed)

    @property
    def drawn(self) -> float | None:
        """What a chart draws: nothing for a suppressed or empty cell."""
        return None if self.suppressed else self.value

    def __str__(self) -> str:
        return self.text


def unit_word(unit: str) -> str:
    """The unit named in a column heading of a machine-readable export."""
    return {
        "percent": "%",
        "minutes": _("minutes"),
        "hours": _("hours"),
        "days": _("days"),
    }.get(unit, "")
