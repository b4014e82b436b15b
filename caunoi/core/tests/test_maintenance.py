"""The worker's daily housekeeping: finished task results are pruned after TASK_RESULTS_KEEP_DAYS
(waiting and running ones never), and a daily job runs once a day however often it is called."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from caunoi.core.maintenance import DAY, once_a_day, task_results_prune
from caunoi.core.periodic import JOBS

pytestmark = pytest.mark.django_db


def result(status: TaskResultStatus, finished_days_ago: float | None) -> DBTaskResult:
    finished = (
        None if finished_days_ago is None else timezone.now() - timedelta(days=finished_days_ago)
    )
    return DBTaskResult.objects.create(
        status=status,
        task_path="caunoi.consults.tasks.consultation_deadline_check",
        args_kwargs={"args": [1], "kwargs": {}},
        queue_name="default",
        backend_name="default",
        priority=0,
        finished_at=finished,
    )


def test_finished_results_older_than_the_setting_are_pruned_and_nothing_else(settings):
    settings.TASK_RESULTS_KEEP_DAYS = 14
    old_done = result(TaskResultStatus.SUCCESSFUL, 15)
    old_failed = result(TaskResultStatus.FAILED, 30)
    recent = result(TaskResultStatus.SUCCESSFUL, 13)
    waiting = result(TaskResultStatus.READY, None)
    running = result(TaskResultStatus.RUNNING, None)
    assert task_results_prune() == 2
    left = set(DBTaskResult.objects.values_list("id", flat=True))
    assert {recent.id, waiting.id, running.id} <= left
    assert not {old_done.id, old_failed.id} & left
    assert task_results_prune(keep_days=1) == 1  # the recent one, with a shorter setting
    assert set(DBTaskResult.objects.values_list("id", flat=True)) >= {waiting.id, running.id}


def test_a_daily_job_runs_at_once_then_once_a_day():
    runs: list[int] = []
    now = [1000.0]
    job = once_a_day(lambda: runs.append(1), clock=lambda: now[0])
    job()
    now[0] += 60
    job()
    assert len(runs) == 1
    now[0] += DAY
    job()
    job()
    assert len(runs) == 2


def test_the_worker_runs_the_housekeeping_jobs():
    assert {"monthly partitions", "task results prune", "audit chain"} <= set(JOBS)
