"""Housekeeping the task worker does once a day (registered as periodic jobs by ``CoreConfig``):
the months ahead of the partitioned tables (``partitions.ensure_monthly_partitions``) and the
pruning of finished task results, which the task queue otherwise keeps for ever (six rows per
consultation: docs/scale.md). Both are bookkeeping of the platform itself, like the worker's
heartbeat: they write no audit row. Both are safe to run in several workers at once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

log = logging.getLogger("caunoi.worker")

DAY = 24 * 3600.0
PRUNE_BATCH = 5000


def at_most_every(
    seconds: float, job: Callable[[], object], *, clock: Callable[[], float] = time.monotonic
) -> Callable[[], object]:
    """``job`` wrapped to run at the first call and then at most once every ``seconds`` (in
    this process; the periodic thread calls it every second)."""
    last: list[float] = []

    def run() -> object:
        now = clock()
        if last and now - last[0] < seconds:
            return None
        result = job()
        last[:] = [now]
        return result

    return run


def once_a_day(
    job: Callable[[], object], *, clock: Callable[[], float] = time.monotonic
) -> Callable[[], object]:
    """``job`` wrapped to run at the first call and then at most once every 24 hours."""
    return at_most_every(DAY, job, clock=clock)


def task_results_prune(*, keep_days: int | None = None) -> int:
    """Delete the results of tasks that finished (done or failed) more than ``keep_days``
    (``TASK_RESULTS_KEEP_DAYS``) ago; tasks waiting or running are never touched. Returns the
    number deleted."""
    days = settings.TASK_RESULTS_KEEP_DAYS if keep_days is None else keep_days
    cutoff = timezone.now() - timedelta(days=days)
    old = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=cutoff,
    )
    deleted = 0
    # In batches: the first run on a database that kept every result for years must not hold
    # one long delete in the thread that also chains the audit trail.
    while batch := list(old.values_list("id", flat=True)[:PRUNE_BATCH]):
        done, _ = DBTaskResult.objects.filter(id__in=batch).delete()
        deleted += done
    if deleted:
        log.info("Pruned %d task results finished before %s", deleted, cutoff.date())
    return deleted
