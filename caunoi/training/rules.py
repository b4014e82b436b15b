"""The arithmetic of training, with no database: how long a participant was in a live session
(from the join and leave times the video room recorded), and where a health worker stands
against the rolling five-year window of continuing medical education (CME).

Attendance. A participant who drops out and rejoins has several (joined, left) intervals; what
counts is their union within the session, so overlapping intervals (two devices, a reconnect
recorded before the old leave) never count twice. A leave time of ``None`` means still
connected. Someone is present when they were in the room for at least ``threshold`` (80% by
default) of the scheduled session; exactly at the threshold counts.

The CME window. Circular 32/2023/TT-BYT, Art. 3, asks for at least 120 tiết (lesson periods) in
any five consecutive years. The circular does not say where the first window starts, so the
project reads it this way:

- The obligation starts at ``since``: the date the person's practising licence was issued, or,
  failing that, when the platform first knew them.
- For every date D on or after ``since`` plus five years, the window ending on D is
  (D minus five years, D]: the credits dated d with d > ``years_before(D, 5)`` and d <= D. It
  must hold at least ``required`` tiết.
- Before ``since`` plus five years nobody is short yet, but the same forward-looking deadline
  is shown: the first date on which, with nothing new earned, the window would fall short.
- Five calendar years before 29 February is 28 February (``years_before``), and five years
  after it is 28 February too (``years_after``). A credit earned on 29 February therefore
  stays in the window until 28 February five years on and drops out on 1 March.

The caller passes only the credits that count (platform credits, verified declarations); credits
dated after ``today`` are ignored, since a deadline is worked out from what is earned so far.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import groupby
from operator import itemgetter

CME_REQUIRED = Decimal(120)
CME_YEARS = 5

# --- Attendance --------------------------------------------------------------------------------


def merge_intervals(
    intervals: Iterable[tuple[datetime, datetime | None]],
    *,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> list[tuple[datetime, datetime]]:
    """The union of ``intervals`` within [start, end], as sorted, disjoint intervals.

    Each (joined, left) is clipped to the session; a ``None`` leave means still connected and
    runs to ``now`` if given, else to ``end``. Empty intervals are dropped, and overlapping or
    touching ones (one ends when the next begins) are merged into one. Raises ``ValueError`` if
    the session ends before it starts.
    """
    if end < start:
        raise ValueError(f"The session ends ({end}) before it starts ({start}).")
    open_until = end if now is None else now
    clipped = sorted(
        (max(joined, start), min(open_until if left is None else left, end))
        for joined, left in intervals
    )
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in clipped:
        if hi <= lo:
            continue
        if merged and lo <= merged[-1][1]:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _attended(
    intervals: Iterable[tuple[datetime, datetime | None]],
    *,
    start: datetime,
    end: datetime,
    now: datetime | None,
) -> timedelta:
    merged = merge_intervals(intervals, start=start, end=end, now=now)
    return sum((hi - lo for lo, hi in merged), timedelta())


def attended_seconds(
    intervals: Iterable[tuple[datetime, datetime | None]],
    *,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> int:
    """Whole seconds of the union of ``intervals`` within the session (see ``merge_intervals``),
    rounded down."""
    return _attended(intervals, start=start, end=end, now=now) // timedelta(seconds=1)


@dataclass(frozen=True)
class Presence:
    seconds: int  # whole seconds in the room, rounded down
    share: float  # of the session's length, 0 to 1 (from the exact time, not the rounded seconds)
    present: bool  # share >= threshold


def presence(
    intervals: Iterable[tuple[datetime, datetime | None]],
    *,
    start: datetime,
    end: datetime,
    threshold: float = 0.8,
    now: datetime | None = None,
) -> Presence:
    """Whether a participant attended the session [start, end]: present when the union of their
    intervals covers at least ``threshold`` of it (exactly at the threshold counts).

    Raises ``ValueError`` for a session of zero or negative length, or a threshold outside
    (0, 1].
    """
    if end <= start:
        raise ValueError(
            f"A session must last longer than zero: it starts at {start} and ends at {end}."
        )
    if not 0 < threshold <= 1:
        raise ValueError(
            f"The attendance threshold must be above 0 and at most 1, not {threshold}."
        )
    attended = _attended(intervals, start=start, end=end, now=now)
    share = attended / (end - start)
    return Presence(
        seconds=attended // timedelta(seconds=1), share=share, present=share >= threshold
    )


# --- The CME window ----------------------------------------------------------------------------


def years_before(d: date, years: int) -> date:
    """The same day ``years`` calendar years earlier; 29 February becomes 28 February when that
    year has none."""
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February into a common year
        return d.replace(year=d.year - years, day=28)


def years_after(d: date, years: int) -> date:
    """The same day ``years`` calendar years later; 29 February becomes 28 February when that
    year has none."""
    return years_before(d, -years)


def drops_out_on(on: date, *, years: int = CME_YEARS) -> date:
    """The first date whose window no longer holds a credit earned ``on``: ``years`` years later,
    except that a credit of 29 February drops out on 1 March of a common year (the window
    ending on 28 February still starts after 28 February, so it still holds it)."""
    day = years_after(on, years)
    if years_before(day, years) < on:
        day += timedelta(days=1)
    return day


def window_total(
    credits: Iterable[tuple[date, Decimal]], *, end: date, years: int = CME_YEARS
) -> Decimal:
    """The tiết earned in the window (end minus ``years`` years, end]: a credit dated exactly
    ``years`` years before ``end`` is outside it, one dated ``end`` is inside."""
    after = years_before(end, years)
    return sum((tiet for on, tiet in credits if after < on <= end), Decimal(0))


@dataclass(frozen=True)
class CmeStatus:
    window_start: date  # exclusive: the window is (window_start, today]
    window_total: Decimal  # tiết earned in (window_start, today]
    required: Decimal
    deadline: date  # the first day the window falls short if nothing new is earned
    missing: Decimal  # tiết to earn by the deadline to hold ``required`` on that day
    short_now: bool  # the obligation has started and today's window holds too little
    warning: bool  # not short yet, but the deadline is within ``warn_days``
    on_track: bool  # neither short nor warned


def cme_status(
    credits: Iterable[tuple[date, Decimal]],
    *,
    today: date,
    since: date,
    required: Decimal = CME_REQUIRED,
    years: int = CME_YEARS,
    warn_days: int = 365,
) -> CmeStatus:
    """Where a health worker stands on ``today`` against "``required`` tiết in any ``years``
    consecutive years", with the obligation starting at ``since`` (see the module docstring).

    The deadline is the first date D on or after both ``today`` and ``since`` plus ``years``
    years at which, with no new credit, the window ending on D holds less than ``required``.
    With nothing new earned the total only falls as old credits drop out, so it is found by
    walking the drop-out dates in order. Credits dated after ``today`` are ignored.
    """
    if required <= 0:
        raise ValueError(f"The required number of tiết must be above 0, not {required}.")
    if years < 1:
        raise ValueError(f"The window must be at least one year long, not {years}.")
    earned = [(on, tiet) for on, tiet in credits if on <= today]
    starts = years_after(since, years)
    now_total = window_total(earned, end=today, years=years)
    deadline, left = _deadline(earned, first=max(today, starts), required=required, years=years)
    short_now = today >= starts and now_total < required
    warning = not short_now and (deadline - today).days <= warn_days
    return CmeStatus(
        window_start=years_before(today, years),
        window_total=now_total,
        required=required,
        deadline=deadline,
        missing=max(required - left, Decimal(0)),
        short_now=short_now,
        warning=warning,
        on_track=not short_now and not warning,
    )


def _deadline(
    earned: list[tuple[date, Decimal]], *, first: date, required: Decimal, years: int
) -> tuple[date, Decimal]:
    """The first date from ``first`` on whose window holds less than ``required`` of ``earned``
    (all dated on or before ``first``), and the total that window holds."""
    total = window_total(earned, end=first, years=years)
    if total < required:
        return first, total
    after = years_before(first, years)
    drops = sorted((drops_out_on(on, years=years), tiet) for on, tiet in earned if on > after)
    for day, group in groupby(drops, key=itemgetter(0)):
        total -= sum((tiet for _day, tiet in group), Decimal(0))
        if total < required:
            return day, total
    # Every credit in the window has dropped out by the last date, leaving 0 < required.
    raise AssertionError("the window cannot stay full once every credit has dropped out")
