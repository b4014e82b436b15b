"""The pure rules of training: attendance from join and leave times, and the rolling five-year
CME window (Circular 32/2023/TT-BYT). No database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from caunoi.training.rules import (
    Presence,
    attended_seconds,
    cme_status,
    drops_out_on,
    merge_intervals,
    presence,
    window_total,
    years_after,
    years_before,
)

START = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
END = START + timedelta(hours=1)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


# --- Attendance --------------------------------------------------------------------------------


def test_overlapping_intervals_count_once():
    intervals = [(at(0), at(30)), (at(20), at(40)), (at(25), at(35))]
    assert merge_intervals(intervals, start=START, end=END) == [(at(0), at(40))]
    assert attended_seconds(intervals, start=START, end=END) == 40 * 60


def test_a_participant_who_rejoins_counts_the_union_of_their_intervals():
    # Given out of order, with a gap of ten minutes between the drop and the rejoin.
    intervals = [(at(30), at(50)), (at(0), at(20))]
    assert merge_intervals(intervals, start=START, end=END) == [(at(0), at(20)), (at(30), at(50))]
    assert attended_seconds(intervals, start=START, end=END) == 40 * 60


def test_touching_intervals_merge_into_one():
    intervals = [(at(0), at(10)), (at(10), at(15))]
    assert merge_intervals(intervals, start=START, end=END) == [(at(0), at(15))]


def test_intervals_outside_the_session_are_clipped_to_it():
    intervals = [
        (at(-15), at(5)),  # joined early: only 5 minutes count
        (at(55), at(80)),  # stayed late: only 5 minutes count
        (at(-30), at(-10)),  # wholly before
        (at(61), at(70)),  # wholly after
        (at(30), at(30)),  # empty
        (at(40), at(35)),  # leave before join (clock skew): empty
    ]
    assert merge_intervals(intervals, start=START, end=END) == [(at(0), at(5)), (at(55), at(60))]
    assert attended_seconds(intervals, start=START, end=END) == 10 * 60


def test_a_participant_still_connected_counts_until_now_or_the_end():
    intervals = [(at(10), None)]
    assert attended_seconds(intervals, start=START, end=END) == 50 * 60
    assert attended_seconds(intervals, start=START, end=END, now=at(25)) == 15 * 60
    # A session that is over: "now" is clipped to the end like any leave.
    assert attended_seconds(intervals, start=START, end=END, now=at(90)) == 50 * 60


def test_seconds_are_whole_seconds_rounded_down():
    intervals = [(START, START + timedelta(seconds=59, microseconds=999_999))]
    assert attended_seconds(intervals, start=START, end=END) == 59


def test_exactly_at_the_threshold_is_present():
    result = presence([(at(0), at(48))], start=START, end=END)
    assert result == Presence(seconds=48 * 60, share=0.8, present=True)


def test_a_second_below_the_threshold_is_absent():
    result = presence([(at(0), at(48) - timedelta(seconds=1))], start=START, end=END)
    assert result.seconds == 48 * 60 - 1
    assert result.share < 0.8
    assert result.present is False


def test_presence_counts_the_union_not_the_sum():
    # Summed, these are 50 minutes (above 80%); their union is 40 (below).
    result = presence([(at(0), at(25)), (at(15), at(40))], start=START, end=END)
    assert result.seconds == 40 * 60
    assert result.present is False


def test_a_custom_threshold_and_a_full_session():
    assert presence([(at(0), at(30))], start=START, end=END, threshold=0.5).present is True
    full = presence([(at(-5), None)], start=START, end=END, threshold=1)
    assert full == Presence(seconds=3600, share=1.0, present=True)


def test_nobody_in_the_room_is_absent():
    assert presence([], start=START, end=END) == Presence(seconds=0, share=0.0, present=False)


@pytest.mark.parametrize("end", [START, START - timedelta(minutes=1)])
def test_a_session_of_zero_or_negative_length_raises(end):
    with pytest.raises(ValueError, match="longer than zero"):
        presence([(at(0), at(10))], start=START, end=end)


def test_merging_for_a_session_that_ends_before_it_starts_raises():
    with pytest.raises(ValueError, match="before it starts"):
        merge_intervals([], start=START, end=START - timedelta(seconds=1))


@pytest.mark.parametrize("threshold", [0, -0.1, 1.01, float("nan")])
def test_a_threshold_outside_zero_to_one_raises(threshold):
    with pytest.raises(ValueError, match="threshold"):
        presence([(at(0), at(60))], start=START, end=END, threshold=threshold)


def test_five_hundred_participants_with_three_joins_each():
    people = [
        [(at(0), at(12 + i % 10)), (at(5 + i % 7), at(40)), (at(45), at(50 + i % 11))]
        for i in range(500)
    ]
    results = [presence(p, start=START, end=END) for p in people]
    # Each attends [0, 40] and [45, 50 + i % 11]: 45 to 55 minutes, present from 48 on.
    assert [r.seconds for r in results[:11]] == [(45 + k) * 60 for k in range(11)]
    assert sum(r.present for r in results) == sum(1 for i in range(500) if 45 + i % 11 >= 48)


# --- The CME window ----------------------------------------------------------------------------

TODAY = date(2026, 6, 15)
LONG_AGO = date(2015, 1, 1)  # a licence long past its first five years


def test_a_credit_exactly_five_years_before_today_is_outside_the_window():
    assert window_total([(date(2021, 6, 15), Decimal(10))], end=TODAY) == 0
    assert window_total([(date(2021, 6, 16), Decimal(10))], end=TODAY) == 10
    assert window_total([(TODAY, Decimal(10))], end=TODAY) == 10
    status = cme_status([(date(2021, 6, 15), Decimal(200))], today=TODAY, since=LONG_AGO)
    assert status.window_start == date(2021, 6, 15)
    assert status.window_total == 0
    assert status.short_now is True


def test_years_before_and_after_29_february_land_on_28_february():
    assert years_before(date(2028, 2, 29), 5) == date(2023, 2, 28)
    assert years_after(date(2024, 2, 29), 5) == date(2029, 2, 28)
    assert years_before(date(2028, 2, 29), 4) == date(2024, 2, 29)
    assert years_before(date(2026, 3, 1), 5) == date(2021, 3, 1)
    assert years_after(date(2026, 12, 31), 5) == date(2031, 12, 31)


def test_a_credit_of_29_february_stays_until_28_february_and_drops_out_on_1_march():
    credit = [(date(2024, 2, 29), Decimal(120))]
    assert window_total(credit, end=date(2029, 2, 28)) == 120
    assert window_total(credit, end=date(2029, 3, 1)) == 0
    assert drops_out_on(date(2024, 2, 29)) == date(2029, 3, 1)
    assert drops_out_on(date(2024, 2, 28)) == date(2029, 2, 28)
    status = cme_status(credit, today=date(2028, 6, 1), since=LONG_AGO)
    assert status.deadline == date(2029, 3, 1)
    assert status.missing == 120


def test_the_window_ending_on_29_february_starts_after_28_february():
    credits = [(date(2023, 2, 28), Decimal(7)), (date(2023, 3, 1), Decimal(5))]
    assert window_total(credits, end=date(2028, 2, 29)) == 5


def test_a_worker_in_their_first_five_years_is_not_short_but_has_a_deadline():
    since = date(2023, 3, 1)  # the obligation's first window ends on 1 March 2028
    credits = [
        (since, Decimal(10)),  # on the licence date: out of the window (1 Mar 2023, 1 Mar 2028]
        (date(2024, 1, 10), Decimal(100)),
    ]
    status = cme_status(credits, today=date(2027, 6, 1), since=since)
    assert status.window_total == 110  # today's window still holds both, but nobody is short yet
    assert status.short_now is False
    assert status.deadline == date(2028, 3, 1)
    assert status.missing == 20
    assert status.warning is True
    assert status.on_track is False


def test_the_warning_starts_exactly_warn_days_before_the_deadline():
    since = date(2023, 3, 1)
    credits = [(date(2024, 1, 10), Decimal(100))]
    # 1 March 2027 to 1 March 2028 is 366 days (29 February 2028 is between).
    early = cme_status(credits, today=date(2027, 3, 1), since=since)
    assert (early.deadline - date(2027, 3, 1)).days == 366
    assert (early.warning, early.on_track) == (False, True)
    late = cme_status(credits, today=date(2027, 3, 2), since=since)
    assert (late.warning, late.on_track) == (True, False)


def test_a_new_worker_with_enough_credits_gets_the_drop_out_date_as_deadline():
    since = date(2024, 9, 1)  # first window ends 1 September 2029
    credits = [(date(2024, 10, 1), Decimal(60)), (date(2025, 4, 1), Decimal(70))]
    status = cme_status(credits, today=date(2025, 6, 1), since=since)
    # Both are in the window on 1 September 2029; the first drops out on 1 October 2029.
    assert status.deadline == date(2029, 10, 1)
    assert status.missing == 50
    assert status.on_track is True


def test_the_oldest_credits_dropping_out_in_eight_months_set_the_deadline():
    credits = [
        (date(2020, 3, 1), Decimal(50)),  # already out of today's window
        (date(2022, 2, 15), Decimal(30)),  # drops out on 15 February 2027
        (date(2023, 5, 10), Decimal(60)),
        (date(2025, 9, 1), Decimal(40)),
    ]
    status = cme_status(credits, today=TODAY, since=LONG_AGO)
    assert status.window_start == date(2021, 6, 15)
    assert status.window_total == 130
    assert status.short_now is False
    assert window_total(credits, end=date(2027, 2, 14)) == 130
    assert status.deadline == date(2027, 2, 15)
    assert status.missing == 20
    assert (status.deadline - TODAY).days == 245
    assert (status.warning, status.on_track) == (True, False)
    # 245 days ahead: warned at warn_days=245, not at 244.
    assert cme_status(credits, today=TODAY, since=LONG_AGO, warn_days=245).warning is True
    relaxed = cme_status(credits, today=TODAY, since=LONG_AGO, warn_days=244)
    assert (relaxed.warning, relaxed.on_track) == (False, True)


def test_credits_dropping_out_on_the_same_day_drop_out_together():
    credits = [
        (date(2022, 1, 10), Decimal(10)),
        (date(2022, 1, 10), Decimal(10)),
        (date(2024, 1, 1), Decimal(105)),
    ]
    status = cme_status(credits, today=TODAY, since=LONG_AGO)
    assert status.deadline == date(2027, 1, 10)
    assert status.missing == 15  # 120 - 105, not 120 - 115


def test_exactly_the_required_total_is_enough_and_one_day_later_it_is_not():
    credits = [(date(2021, 6, 16), Decimal(20)), (date(2024, 1, 1), Decimal(100))]
    status = cme_status(credits, today=TODAY, since=LONG_AGO)
    assert status.window_total == 120
    assert status.short_now is False
    assert status.deadline == date(2026, 6, 16)
    assert status.missing == 20
    assert status.warning is True


def test_a_worker_past_their_first_five_years_with_too_little_is_short_today():
    credits = [(date(2024, 1, 1), Decimal(100))]
    status = cme_status(credits, today=TODAY, since=LONG_AGO)
    assert status.short_now is True
    assert status.deadline == TODAY
    assert status.missing == 20
    assert (status.warning, status.on_track) == (False, False)


def test_the_obligation_starts_on_the_fifth_anniversary_of_since():
    since = date(2021, 6, 15)
    credits = [(date(2024, 1, 1), Decimal(100))]
    before = cme_status(credits, today=date(2026, 6, 14), since=since)
    assert before.short_now is False
    assert before.deadline == date(2026, 6, 15)
    on_the_day = cme_status(credits, today=date(2026, 6, 15), since=since)
    assert on_the_day.short_now is True


def test_credits_dated_after_today_are_ignored():
    credits = [(date(2024, 1, 1), Decimal(100)), (date(2026, 6, 16), Decimal(50))]
    status = cme_status(credits, today=TODAY, since=LONG_AGO)
    assert status.window_total == 100
    assert status.short_now is True
    assert status.missing == 20
    # Nor do they push the deadline back: counted, the 50 would fill the first window.
    since = date(2023, 3, 1)
    credits = [(date(2024, 1, 10), Decimal(100)), (date(2027, 6, 2), Decimal(50))]
    early = cme_status(credits, today=date(2027, 6, 1), since=since)
    assert early.deadline == date(2028, 3, 1)
    assert early.missing == 20


def test_half_lesson_periods_add_exactly():
    credits = [(date(2022, 1, 1) + timedelta(days=7 * i), Decimal("1.5")) for i in range(80)]
    assert window_total(credits, end=TODAY) == Decimal(120)
    assert cme_status(credits, today=TODAY, since=LONG_AGO).short_now is False
    short = cme_status(credits[1:], today=TODAY, since=LONG_AGO)
    assert short.window_total == Decimal("118.5")
    assert short.missing == Decimal("1.5")
    tenths = [(date(2024, 1, 1), Decimal("0.1"))] * 3
    assert window_total(tenths, end=TODAY) == Decimal("0.3")


@pytest.mark.parametrize(("required", "years"), [(Decimal(0), 5), (Decimal(120), 0)])
def test_a_nonsensical_requirement_raises(required, years):
    with pytest.raises(ValueError, match="must be"):
        cme_status([], today=TODAY, since=LONG_AGO, required=required, years=years)
