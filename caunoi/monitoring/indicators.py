"""The indicators computed: one function serves the dashboards, the exports and the API, so they
always show the same numbers with the same suppression: a cell that counts between 1 and 4
patients is suppressed (Law 91/2025 treats health data as sensitive; small cells can identify a
person in a commune); the training indicators and protocol reading apply the same rule to
people.

Each indicator (``catalogue.py``) reads one kind of row (consultations, referrals, video
sessions, facilities, courses completed, clinical staff, technique transfers and their monthly
reports, protocol readers, quality self-assessments), filters it to a period and a place, groups it by a breakdown and computes
a numerator, a denominator and a value per group. Consultation and facility indicators are
aggregated in the database from the consultation facts (``aggregate.py``); the others are read
row by row (``engine.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

from caunoi.monitoring import aggregate
from caunoi.monitoring.catalogue import BY_CODE, Indicator, Place
from caunoi.monitoring.engine import Result, compute_raw, protect
from caunoi.monitoring.periods import Period


def compute(indicator: Indicator, period: Period, place: Place, by: str = "") -> Result:
    """The indicator for a period and place, broken down by ``by`` (or only the total).

    Consultation and facility indicators are aggregated in the database from the consultation
    facts (``aggregate.py``); referrals, video sessions, the staff's training and CME standing,
    technique transfers, protocol reading and quality self-assessments, far fewer, are read
    as rows here."""
    if by and by not in indicator.breakdowns:
        raise ValueError(by)
    if indicator.source in aggregate.SOURCES:
        return protect(aggregate.compute(indicator, period, place, by))
    return compute_raw(indicator, period, place, by)


def compute_many(codes: Iterable[str], period: Period, place: Place, by: str = "") -> list[Result]:
    return [
        compute(BY_CODE[code], period, place, by)
        for code in codes
        if by in ("", *BY_CODE[code].breakdowns)
    ]
