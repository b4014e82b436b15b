from __future__ import annotations

from django.tasks import task

from caunoi.monitoring.facts import refresh


@task()
def indicators_refresh() -> int:
    """Asked by a read that found the figures older than MONITORING_FACTS_MAX_AGE (or never
    computed); does nothing if another refresh is running."""
    return refresh(wait=False).written
