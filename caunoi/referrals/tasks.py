from __future__ import annotations

from django.tasks import task

from caunoi.referrals.services import referral_flag_overdue


@task()
def referral_arrival_check(referral_id: int) -> bool:
    """Scheduled at sending, for the departure time plus REFERRAL_ARRIVAL_HOURS. Safe to run
    twice (at-least-once worker): the referral is locked and flagged only once."""
    return referral_flag_overdue(referral_id=referral_id, which="arrival")


@task()
def referral_counter_check(referral_id: int) -> bool:
    """Scheduled at discharge, for the discharge time plus REFERRAL_COUNTER_DAYS. Safe to run
    twice, like the arrival check."""
    return referral_flag_overdue(referral_id=referral_id, which="counter")
