"""The task worker behind `caunoi worker`: django-tasks-db's ``Worker``, made to last.

django-tasks-db claims a task by marking it RUNNING inside ``SELECT … FOR UPDATE SKIP LOCKED``
and runs it; it has no lease, and its loop ends at the first database error. Here:

- **Database outages.** A lost connection (PostgreSQL restarted, network cut) ends the library's
  loop with ``OperationalError``/``InterfaceError``; ``ResilientWorker.run`` closes the
  connections, waits (exponential back-off with jitter, at most ``MAX_BACKOFF`` seconds) and
  enters the loop again. A task whose run was cut off by the lost connection is put back in
  the queue, not marked failed, so a deadline check is not lost to a restart.
- **Heartbeat.** A thread writes the worker's ``WorkerHeartbeat`` row every
  WORKER_HEARTBEAT_SECONDS, also while a long task runs; /healthz reads it.
- **Lease.** Each beat also looks for tasks still RUNNING on a worker whose heartbeat is older
  than TASK_LEASE_SECONDS (killed, machine gone) and puts them back to READY, so another worker
  takes them. A task may therefore run twice (at-least-once): every task in ``caunoi/*/tasks.py``
  is written to be safe to repeat, and says why.

The heartbeat and lease are bookkeeping of the worker itself, not domain changes: they write no
audit row.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import socket
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, connections
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from caunoi.core.models import WorkerHeartbeat
from caunoi.core.outage import Outage
from caunoi.core.periodic import Periodic

log = logging.getLogger("caunoi.worker")

# What a lost or refused database connection raises through Django.
CONNECTION_ERRORS = (OperationalError, InterfaceError)
MAX_BACKOFF = 5.0
# Heartbeat rows of workers gone this long are deleted.
HEARTBEAT_KEEP = timedelta(days=1)
RUNNING = TaskResultStatus.RUNNING
READY = TaskResultStatus.READY


class TaskInterrupted(Exception):
    """The running task was cut off by a lost database connection: it goes back to the queue."""


def database_usable(alias: str = "default") -> bool:
    """Does the connection of this thread still work? False after the server went away."""
    conn = connections[alias]
    if conn.connection is None:
        return False
    try:
        return bool(conn.is_usable())
    except Exception:
        return False


def heartbeat_record(*, worker_id: str, started_at: datetime) -> None:
    now = timezone.now()
    if not WorkerHeartbeat.objects.filter(worker_id=worker_id).update(beat_at=now):
        WorkerHeartbeat.objects.create(
            worker_id=worker_id,
            host=socket.gethostname()[:255],
            pid=os.getpid(),
            started_at=started_at,
            beat_at=now,
        )


def tasks_reclaim(*, lease_seconds: int) -> list[str]:
    """Put back to READY the tasks RUNNING for longer than the lease on a worker that has not
    beaten for as long (or never did). Returns their ids."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=lease_seconds)
    alive = set(
        WorkerHeartbeat.objects.filter(beat_at__gte=cutoff).values_list("worker_id", flat=True)
    )
    reclaimed = []
    running = (
        DBTaskResult.objects.filter(status=RUNNING, started_at__lt=cutoff)
        .order_by()
        .values_list("id", "worker_ids", "started_at", "task_path")
    )
    for task_id, worker_ids, started_at, task_path in running:
        owner = worker_ids[-1] if worker_ids else None
        if owner in alive:
            continue
        # Compare-and-set on the claim time: a worker that claimed it again since is left alone.
        if DBTaskResult.objects.filter(pk=task_id, status=RUNNING, started_at=started_at).update(
            status=READY
        ):
            reclaimed.append(str(task_id))
            log.warning(
                "Task %s (%s) was left running by worker %s, silent for over %d s: queued again",
                task_id,
                task_path,
                owner,
                lease_seconds,
            )
    WorkerHeartbeat.objects.filter(beat_at__lt=now - HEARTBEAT_KEEP).delete()
    return reclaimed


def task_put_back(task: Any) -> bool:
    """Return a task this worker had claimed to the queue (its run was cut off)."""
    return bool(
        DBTaskResult.objects.filter(pk=task.pk, status=RUNNING, started_at=task.started_at).update(
            status=READY
        )
    )


class Heartbeat(threading.Thread):
    """Beats for the worker from its own thread (and its own database connection), so a long
    task does not make the worker look dead; runs the lease check at every beat."""

    def __init__(self, *, worker_id: str, interval: float, lease_seconds: int) -> None:
        super().__init__(name="caunoi-worker-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.interval = interval
        self.lease_seconds = lease_seconds
        self.started_at = timezone.now()
        self.stopping = threading.Event()
        self.outage = Outage("Database (worker heartbeat)", retry_after=interval)

    def beat(self) -> None:
        try:
            heartbeat_record(worker_id=self.worker_id, started_at=self.started_at)
            tasks_reclaim(lease_seconds=self.lease_seconds)
        except Exception as exc:
            # Whatever it is (a database error, InterfaceError, a bug), the thread must go on
            # beating: a silent heartbeat hands this worker's running task to another one.
            self.outage.failed(exc)
        else:
            self.outage.succeeded()

    def run(self) -> None:
        try:
            while not self.stopping.wait(self.interval):
                self.beat()
                # A fresh connection for every beat: a broken one is never reused.
                connection.close()
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        if self.is_alive():
            self.join(timeout=10)
        with contextlib.suppress(*CONNECTION_ERRORS):
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()


class ResilientWorker(Worker):
    """django-tasks-db's worker loop, entered again after a database outage, with a heartbeat."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.heartbeat = Heartbeat(
            worker_id=self.worker_id,
            interval=settings.WORKER_HEARTBEAT_SECONDS,
            lease_seconds=settings.TASK_LEASE_SECONDS,
        )
        self.periodic = Periodic()
        self.interrupted: Any = None
        self.failures = 0
        self.last_failure = 0.0

    def run(self) -> None:
        # The first beat (and lease check) before any claim; a database that is down now is
        # waited for like any later outage.
        self.heartbeat.beat()
        # Also in --batch mode: a long task there must not look abandoned either.
        self.heartbeat.start()
        self.periodic.start()
        try:
            while True:
                try:
                    self._put_back_interrupted()
                    super().run()
                    return
                except (*CONNECTION_ERRORS, TaskInterrupted) as exc:
                    if not self.running:
                        return
                    self._wait_for_database(exc)
        finally:
            self.periodic.stop()
            self.heartbeat.stop()

    def _wait_for_database(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self.last_failure > 60:
            self.failures = 0
        self.failures += 1
        self.last_failure = now
        delay = min(MAX_BACKOFF, 0.5 * 2 ** (self.failures - 1)) * random.uniform(0.5, 1.0)  # noqa: S311
        cause = exc.__cause__ if isinstance(exc, TaskInterrupted) and exc.__cause__ else exc
        log.warning(
            "Database unreachable (%s: %s); worker %s retries in %.1f s",
            type(cause).__name__,
            str(cause).strip().splitlines()[0] if str(cause).strip() else "",
            self.worker_id,
            delay,
        )
        with contextlib.suppress(*CONNECTION_ERRORS):
            connections.close_all()
        time.sleep(delay)

    def _put_back_interrupted(self) -> None:
        task, self.interrupted = self.interrupted, None
        if task is None:
            return
        try:
            if task_put_back(task):
                log.warning("Task %s (%s) was cut off: queued again", task.pk, task.task_path)
        except BaseException:
            self.interrupted = task
            raise

    def run_task(self, db_task_result: Any) -> None:
        # The library records every exception of a task as a failure. One caused by the lost
        # database connection is not the task's fault: put the task back (after reconnecting)
        # and let ``run`` wait for the database. A forced stop (second Ctrl-C) puts it back too.
        record_failure = db_task_result.set_failed

        def set_failed(exc: BaseException) -> None:
            if isinstance(exc, CONNECTION_ERRORS) and not database_usable(db_task_result._state.db):
                self.interrupted = db_task_result
                raise TaskInterrupted(str(exc)) from exc
            if isinstance(exc, (SystemExit, KeyboardInterrupt)):
                # If the database is down too, the lease hands it back later.
                with contextlib.suppress(*CONNECTION_ERRORS):
                    task_put_back(db_task_result)
                raise exc
            record_failure(exc)

        db_task_result.set_failed = set_failed
        super().run_task(db_task_result)
