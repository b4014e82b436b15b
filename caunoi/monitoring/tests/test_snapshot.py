"""Reads from one moment, on PostgreSQL: committed rows and a second connection (no test
transaction around these tests; they remove what they add)."""

import threading
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from caunoi.monitoring.freshness import snapshot
from caunoi.monitoring.models import FactState, MonthlyRollup


@pytest.mark.postgres
def test_a_snapshot_does_not_see_a_refresh_that_commits_halfway(committed_db, settings):
    """A page, report or payload reads every figure from one moment: roll-ups written by a
    refresh that commits while it is being built are not half seen."""
    settings.MONITORING_FACTS_MAX_AGE = 3600
    FactState.objects.update_or_create(pk=1, defaults={"refreshed_at": timezone.now()})
    month = date(2026, 1, 1)

    def commit_elsewhere() -> None:
        MonthlyRollup.objects.create(
            source="consults", month=month, province_code=8, dim="", key="", n=7,
            in_time=0, responded=0, vulnerable=0, resolved=0,
        )  # fmt: skip
        connection.close()

    try:
        with snapshot():
            before = MonthlyRollup.objects.filter(month=month).count()
            other = threading.Thread(target=commit_elsewhere)
            other.start()
            other.join()
            assert MonthlyRollup.objects.filter(month=month).count() == before
        assert MonthlyRollup.objects.filter(month=month).count() == before + 1
    finally:
        MonthlyRollup.objects.filter(month=month, n=7).delete()
        FactState.objects.all().delete()
