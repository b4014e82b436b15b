"""`caunoi worker`: a heartbeat row while it runs, tasks of silent workers handed back after the
lease, database errors waited out instead of ending the worker, a task cut off by a lost
connection queued again instead of failed. The worker runs in-process (``--batch``) against
committed rows, as in production; each test removes what it adds."""

from __future__ import annotations

import logging
import os
import signal
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet

from caunoi.core import taskworker
from caunoi.core.models import WorkerHeartbeat
from caunoi.core.taskworker import heartbeat_record, tasks_reclaim
from caunoi.core.tests import tasks


@pytest.fixture
def clean(committed_db, monkeypatch):
    tasks.script.clear()
    tasks.runs.clear()
    waits: list[float] = []
    monkeypatch.setattr("caunoi.core.taskworker.time.sleep", waits.append)
    yield waits
    DBTaskResult.objects.filter(task_path__startswith="caunoi.core.tests.tasks").delete()
    WorkerHeartbeat.objects.all().delete()


def _row(result):
    return DBTaskResult.objects.get(pk=result.id)


def test_worker_beats_while_it_runs_and_removes_its_row_when_it_stops(clean):
    result = tasks.heartbeats_seen.enqueue()

    call_command("worker", batch=True, interval=0.1)

    row = _row(result)
    assert row.status == "SUCCESSFUL"
    [seen] = row.return_value
    assert seen["pid"] == os.getpid()
    assert len(seen["worker_id"]) == 32
    assert row.worker_ids == [seen["worker_id"]]
    assert not WorkerHeartbeat.objects.exists()


def test_a_heartbeat_updates_the_workers_one_row(clean):
    started = timezone.now()
    heartbeat_record(worker_id="w1", started_at=started)
    first = WorkerHeartbeat.objects.get(worker_id="w1").beat_at

    heartbeat_record(worker_id="w1", started_at=started)

    row = WorkerHeartbeat.objects.get(worker_id="w1")
    assert row.beat_at >= first
    assert row.pid == os.getpid()
    assert WorkerHeartbeat.objects.count() == 1


def _running(result, *, worker: str, seconds_ago: int) -> None:
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING",
        worker_ids=[worker],
        started_at=timezone.now() - timedelta(seconds=seconds_ago),
    )


def test_tasks_left_running_by_a_silent_worker_are_queued_again_after_the_lease(clean):
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id="dead", host="h", pid=1, beat_at=now - timedelta(seconds=200)
    )
    WorkerHeartbeat.objects.create(worker_id="alive", host="h", pid=2, beat_at=now)
    WorkerHeartbeat.objects.create(
        worker_id="long-gone", host="h", pid=3, beat_at=now - timedelta(days=2)
    )
    abandoned = tasks.scripted.enqueue("abandoned")
    _running(abandoned, worker="dead", seconds_ago=200)
    long_task = tasks.scripted.enqueue("long task")
    _running(long_task, worker="alive", seconds_ago=200)
    just_claimed = tasks.scripted.enqueue("just claimed")
    _running(just_claimed, worker="unknown", seconds_ago=10)
    never_beaten = tasks.scripted.enqueue("never beaten")
    _running(never_beaten, worker="plain db_worker", seconds_ago=300)

    reclaimed = tasks_reclaim(lease_seconds=120)

    assert set(reclaimed) == {str(abandoned.id), str(never_beaten.id)}
    assert _row(abandoned).status == "READY"
    assert _row(never_beaten).status == "READY"
    assert _row(long_task).status == "RUNNING"  # its worker is alive: a long task, not a dead one
    assert _row(just_claimed).status == "RUNNING"  # not yet past the lease
    # Rows of workers gone for over a day are removed; others stay for /healthz and the lease.
    assert set(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == {"dead", "alive"}

    # The next worker takes the abandoned task and completes it.
    DBTaskResult.objects.filter(pk__in=[long_task.id, just_claimed.id]).delete()
    call_command("worker", batch=True, interval=0.1)

    row = _row(abandoned)
    assert row.status == "SUCCESSFUL"
    assert row.worker_ids[0] == "dead"
    assert len(row.worker_ids) == 2
    assert sorted(tasks.runs) == ["abandoned", "never beaten"]


def test_worker_waits_out_a_lost_database_and_goes_on(clean, monkeypatch, caplog):
    real_get_locked = DBTaskResultQuerySet.get_locked
    failures = ["server closed the connection unexpectedly", "connection refused"]

    def get_locked(self):
        if failures:
            raise OperationalError(failures.pop(0))
        return real_get_locked(self)

    monkeypatch.setattr(DBTaskResultQuerySet, "get_locked", get_locked)
    result = tasks.scripted.enqueue("after the outage")

    with caplog.at_level(logging.WARNING, logger="caunoi.worker"):
        call_command("worker", batch=True, interval=0.1)

    assert _row(result).status == "SUCCESSFUL"
    assert tasks.runs == ["after the outage"]
    messages = [r.getMessage() for r in caplog.records if r.name == "caunoi.worker"]
    assert len(messages) == 2
    assert messages[0].startswith(
        "Database unreachable (OperationalError: server closed the connection unexpectedly); "
        "worker "
    )
    assert all(r.exc_info is None for r in caplog.records if r.name == "caunoi.worker")
    # Back-off with jitter: about 0.5 s, then about 1 s.
    assert len(clean) == 2
    assert 0.25 <= clean[0] <= 0.5
    assert 0.5 <= clean[1] <= 1.0


def test_a_task_cut_off_by_a_lost_connection_is_queued_again_not_failed(clean, monkeypatch):
    # As after a PostgreSQL restart: the task's query failed and the connection is dead.
    monkeypatch.setattr(taskworker, "database_usable", lambda alias: False)
    tasks.script.extend(["connection lost", "ok"])
    result = tasks.scripted.enqueue("deadline check")

    call_command("worker", batch=True, interval=0.1)

    row = _row(result)
    assert row.status == "SUCCESSFUL"
    assert row.return_value == "deadline check"
    assert tasks.runs == ["deadline check", "deadline check"]
    assert len(row.worker_ids) == 2  # claimed again by the same worker after it reconnected
    assert len(set(row.worker_ids)) == 1


def test_a_database_error_of_the_task_itself_is_a_failure(clean):
    # The connection still works (a statement timeout): running it again would fail again.
    tasks.script.append("bad query")
    result = tasks.scripted.enqueue("slow report")

    call_command("worker", batch=True, interval=0.1)

    row = _row(result)
    assert row.status == "FAILED"
    assert row.exception_class_path == "django.db.utils.OperationalError"
    assert tasks.runs == ["slow report"]


def test_a_forced_stop_puts_the_running_task_back_in_the_queue(clean):
    tasks.script.append("forced stop")
    result = tasks.scripted.enqueue("interrupted")

    with pytest.raises(SystemExit):
        call_command("worker", batch=True, interval=0.1)

    assert _row(result).status == "READY"
    assert not WorkerHeartbeat.objects.exists()


def test_worker_command_gives_back_the_signal_handlers_it_found(clean):
    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        call_command("worker", batch=True, interval=0.1)
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)
