"""The kept standing (``CmeStanding``): what it says on any later day is what the ledger's
own arithmetic says, and it is recomputed whenever what it was made from changes."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from caunoi.training.models import CmeCredit, CmeProfile, CmeStanding, CreditSource
from caunoi.training.rules import cme_status
from caunoi.training.selectors import cme_standings, cme_statuses, standing_on

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("seed", range(40))
def test_a_standing_computed_once_holds_on_every_later_day(seed):
    rng = random.Random(seed)
    computed = date(2026, 11, 27)
    since = computed - timedelta(days=rng.randint(0, 4000))
    credits = [
        (computed - timedelta(days=rng.randint(0, 2500)), Decimal(rng.choice([4, 8, 12, 24, 40])))
        for _ in range(rng.randint(0, 12))
    ]
    deadline = cme_status(credits, today=computed, since=since).deadline
    edges = {deadline + timedelta(days=d) for d in (-366, -365, -364, -1, 0, 1)}
    days = {computed + timedelta(days=d) for d in range(0, 7 * 366, 17)}
    for day in sorted(d for d in days | edges if d >= computed):
        truth = cme_status(credits, today=day, since=since)
        kept = standing_on(deadline, day)
        assert (kept.short_now, kept.warning, kept.on_track) == (
            truth.short_now,
            truth.warning,
            truth.on_track,
        ), (seed, day)


def _credit(user, on, tiet=40, **kw):
    return CmeCredit.objects.create(
        user=user,
        activity_type="course",
        title="Khóa học",
        provider="BV",
        tiet=Decimal(tiet),
        earned_on=on,
        source=kw.pop("source", CreditSource.PLATFORM),
        **kw,
    )


def _flags(standings, user):
    s = standings[user.pk]
    return (s.short_now, s.warning, s.on_track)


def _truth(user, today):
    s = cme_statuses([user.pk], today=today)[user.pk]
    return (s.short_now, s.warning, s.on_track)


def test_the_standing_is_kept_then_recomputed_when_credits_or_the_licence_change(worker):
    today = timezone.localdate()
    CmeProfile.objects.create(user=worker, licence_issued_on=today - timedelta(days=3000))
    _credit(worker, today - timedelta(days=1700), tiet=100)
    first = cme_standings([worker.pk])
    assert _flags(first, worker) == _truth(worker, today) == (True, False, False)
    kept = CmeStanding.objects.get(user=worker)
    assert kept.computed_on == today

    # A new credit: the kept standing no longer matches and is recomputed.
    credit = _credit(worker, today - timedelta(days=10), tiet=30)
    assert _flags(cme_standings([worker.pk]), worker) == _truth(worker, today)
    assert _truth(worker, today) != (True, False, False)
    # A credit edited (its tiết lowered) or deleted: recomputed too.
    CmeCredit.objects.filter(pk=credit.pk).update(tiet=Decimal(5), updated_at=timezone.now())
    assert (
        _flags(cme_standings([worker.pk]), worker) == _truth(worker, today) == (True, False, False)
    )
    CmeCredit.objects.filter(pk=credit.pk).delete()
    assert _flags(cme_standings([worker.pk]), worker) == _truth(worker, today)
    # The licence date moves (the obligation starts later): recomputed.
    CmeProfile.objects.filter(user=worker).update(licence_issued_on=today - timedelta(days=100))
    assert (
        _flags(cme_standings([worker.pk]), worker) == _truth(worker, today) == (False, False, True)
    )


def test_an_unverified_declaration_does_not_count_and_its_acceptance_does(worker):
    today = timezone.localdate()
    CmeProfile.objects.create(user=worker, licence_issued_on=today - timedelta(days=3000))
    declared = _credit(worker, today - timedelta(days=20), tiet=120, source="self_declared")
    assert _flags(cme_standings([worker.pk]), worker) == (True, False, False)
    declared.verified_at = timezone.now()
    declared.save()
    assert (
        _flags(cme_standings([worker.pk]), worker) == _truth(worker, today) == (False, False, True)
    )


def test_a_kept_standing_is_not_used_for_an_earlier_day_nor_stored_for_another_day(worker):
    today = timezone.localdate()
    CmeProfile.objects.create(user=worker, licence_issued_on=today - timedelta(days=3000))
    _credit(worker, today - timedelta(days=100), tiet=130)
    cme_standings([worker.pk])
    earlier = today - timedelta(days=200)  # before that credit: short then
    assert _flags(cme_standings([worker.pk], today=earlier), worker) == _truth(worker, earlier)
    assert _truth(worker, earlier) == (True, False, False)
    assert CmeStanding.objects.get(user=worker).computed_on == today
