"""PostgreSQL crashes and restarts (``pg_ctl restart -m immediate``) while health workers submit
consultations: no acknowledged submission is lost, the service answers again within 10 s, and
the task worker is alive afterwards and runs the tasks the new submissions queue."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime

import pytest

from tests.faults.harness import api, wait_for

pytestmark = pytest.mark.faults

WRITERS = 3
# Acknowledged submissions wanted before the crash, and again after recovery. The suite keeps it
# small; the figures in BENCHMARKS.md come from a run with CAUNOI_FAULT_WRITES=300.
WRITES = int(os.environ.get("CAUNOI_FAULT_WRITES", "15"))


class Writers:
    """Threads submitting consultations, each retrying with the same Idempotency-Key until the
    server acknowledges it (2xx), as the offline-capable client does."""

    def __init__(self, base: str, token: str, patient: str) -> None:
        self.url = base + "/api/consults"
        self.token = token
        self.patient = patient
        self.acked: list[tuple[str, float]] = []  # (key, when acknowledged)
        self.attempts: list[tuple[float, float, int]] = []  # (sent, answered, status)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.write, daemon=True) for _ in range(WRITERS)]

    def write(self) -> None:
        while not self.stopping.is_set():
            key = str(uuid.uuid4())
            body = {
                "patient": self.patient,
                "specialty": "internal-medicine",
                "reason": "Sốt, ho kéo dài",
                "question": "Có cần chuyển viện không?",
            }
            while not self.stopping.is_set():
                sent = time.monotonic()
                status, _ = api(
                    "POST",
                    self.url,
                    body,
                    token=self.token,
                    headers={"Idempotency-Key": key},
                    timeout=20,
                )
                answered = time.monotonic()
                with self.lock:
                    self.attempts.append((sent, answered, status))
                    if status in (200, 201):
                        self.acked.append((key, answered))
                if status in (200, 201):
                    break
                time.sleep(0.05)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def count(self) -> int:
        with self.lock:
            return len(self.acked)


def test_postgres_crash_restart_under_write_load_loses_no_acknowledged_write(
    database, people, start_app, smtp
):
    pg, name = database
    app = start_app()
    app.wait_healthy()
    writers = Writers(app.base, people["worker"]["token"], people["patient"])
    writers.start()
    try:
        wait_for(
            lambda: writers.count() >= WRITES,
            f"{WRITES} acknowledged submissions before the crash",
            seconds=30 + WRITES / 2,
        )
        acked_before = writers.count()
        crash = time.monotonic()
        pg.restart_immediate()
        back_up = time.monotonic()
        restarted_at = datetime.now(UTC)
        wait_for(
            lambda: any(s >= crash and c in (200, 201) for s, _a, c in writers.attempts),
            "a submission sent after the crash to be acknowledged",
            seconds=30,
        )
        acked_after_crash = writers.count()
        wait_for(
            lambda: writers.count() >= acked_after_crash + WRITES,
            f"{WRITES} more acknowledged submissions",
            seconds=30 + WRITES / 2,
        )
    finally:
        writers.stop()

    # Every acknowledged submission is in the database, exactly once.
    keys = sorted({key for key, _ in writers.acked})
    rows = pg.sql(
        name,
        "SELECT client_id::text, count(*) FROM consults_consultation "
        "WHERE client_id::text = ANY(%s) GROUP BY client_id",
        [keys],
    )
    found = dict(rows)
    lost = [key for key in keys if key not in found]
    assert lost == []
    assert set(found.values()) == {1}
    assert acked_before >= WRITES

    # Back within 10 s: the first submission sent after the crash and acknowledged.
    first_ok = min(a for s, a, c in writers.attempts if s >= crash and c in (200, 201))
    recovery = first_ok - crash
    failed = [c for s, _a, c in writers.attempts if c not in (200, 201)]
    assert recovery < 10, f"service back after {recovery:.1f} s"

    # /healthz is 200 again (the worker's heartbeat is fresh), and the worker that beats is a
    # live process that has beaten since the restart.
    health = app.wait_healthy(seconds=10)
    assert health["checks"]["worker"]["ok"] is True

    def newest_beat() -> tuple[int, datetime]:
        [(pid, beat_at)] = pg.sql(
            name, "SELECT pid, beat_at FROM core_workerheartbeat ORDER BY beat_at DESC LIMIT 1"
        )
        return pid, beat_at

    # /healthz takes a beat from just before the crash as fresh: wait for one after it (the
    # worker beats every WORKER_HEARTBEAT_SECONDS once it has its connection back).
    wait_for(
        lambda: newest_beat()[1] > restarted_at,
        "the task worker to beat again after the restart",
        seconds=30,
        pause=0.5,
    )
    pid, beat_at = newest_beat()
    assert beat_at > restarted_at
    assert app.process is not None
    assert app.process.poll() is None
    assert _alive(pid)

    # Tasks queued after the restart (the hub staff's emails of new submissions) are run; none
    # failed because of the crash: a task cut off by it was queued again.
    def done_after_restart():
        [(n,)] = pg.sql(
            name,
            "SELECT count(*) FROM django_tasks_database_dbtaskresult "
            "WHERE enqueued_at > %s AND status = 'SUCCESSFUL' "
            "AND task_path LIKE '%%notification_email_send'",
            [restarted_at],
        )
        return n

    wait_for(lambda: done_after_restart() >= 1, "an email task queued after the restart to run")
    [(failed_tasks,)] = pg.sql(
        name, "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = 'FAILED'"
    )
    assert failed_tasks == 0
    assert smtp.inbox.messages

    # While PostgreSQL is down, /healthz says so (503, naming the database), then recovers.
    pg.crash()
    try:
        code, health = app.health()
    finally:
        pg.start()
    assert code == 503
    assert health["status"] == "fail"
    assert health["checks"]["database"]["ok"] is False
    assert "OperationalError" in health["checks"]["database"]["error"]
    assert health["checks"]["channel_layer"]["ok"] is True
    app.wait_healthy(seconds=20)

    print(
        f"FIGURES postgres-restart: acknowledged={len(keys)} lost={len(lost)} "
        f"failed_attempts={len(failed)} (statuses {sorted(set(failed))}) "
        f"postgres_down={back_up - crash:.2f}s recovered_after={recovery:.2f}s"
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
