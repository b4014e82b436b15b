from __future__ import annotations

from django.tasks import task

from caunoi.monitoring.facts import refresh


@task()
def indicators_refresh() -> int:
    """Asked by a read that found the facts older than MONITORING_FACTS_MAX_AGE."""
    return refresh().written
