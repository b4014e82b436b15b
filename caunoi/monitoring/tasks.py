from __future__ import annotations

from django.tasks import task

from caunoi.monitoring.facts import refresh


@task()
def indicators_refresh() -> int:
    """Asked by a read that found the figures older than MONITORING_FACTS_MAX_AGE (or never
    computed); does nothing if another refresh is running. Safe to run twice (at-least-once
    worker): it computes the figures from the watermark in one transaction, so a cut-off run
    leaves nothing behind and a repeated one finds nothing new."""
    return refresh(wait=False).written
