"""The task worker is killed (SIGKILL) in the middle of a task — here while the mail server is
taking the first of a consultation's notification emails. ``caunoi serve --with-worker`` starts
a new worker; once the dead worker's lease runs out, the task is taken up again and completes:
every email is delivered once, and the task is done once."""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest

from tests.faults.harness import api, wait_for

pytestmark = pytest.mark.faults

LEASE = 4  # TASK_LEASE_SECONDS of the app (harness.app_env)


def test_worker_killed_mid_task_is_replaced_and_the_task_completes_once(
    database, people, start_app, smtp
):
    pg, name = database
    inbox = smtp.inbox
    app = start_app()
    app.wait_healthy()

    inbox.hold_next()
    status, body = api(
        "POST",
        app.base + "/api/consults",
        {
            "patient": people["patient"],
            "specialty": "internal-medicine",
            "urgency": "emergency",
            "reason": "Khó thở",
            "question": "Có cần chuyển tuyến ngay không?",
        },
        token=people["worker"]["token"],
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert status == 201
    consult = body["id"]
    wait_for(inbox.held.is_set, "the worker to be half-way through sending the first email")

    [(task_id, owners)] = pg.sql(
        name,
        "SELECT id::text, worker_ids FROM django_tasks_database_dbtaskresult "
        "WHERE status = 'RUNNING' AND task_path LIKE '%%notification_email_send'",
    )
    [(dead_pid,)] = pg.sql(
        name, "SELECT pid FROM core_workerheartbeat WHERE worker_id = %s", [owners[-1]]
    )
    killed = time.monotonic()
    os.kill(dead_pid, signal.SIGKILL)
    inbox.release()  # the dead worker's session is gone: nothing it started is delivered

    # A new worker (started by serve) takes the task up after the lease, and completes it.
    def finished():
        rows = pg.sql(
            name,
            "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE id = %s",
            [task_id],
        )
        return rows[0] if rows[0][0] in ("SUCCESSFUL", "FAILED") else None

    final_status, workers = wait_for(finished, "the task to be completed by another worker", 60)
    completed = time.monotonic() - killed
    assert final_status == "SUCCESSFUL"
    assert len(workers) == 2
    assert workers[0] == owners[-1]
    assert workers[1] != owners[-1]

    # Each notification of the consultation was mailed exactly once.
    notes = pg.sql(
        name,
        "SELECT u.email, n.emailed_at FROM notifications_notification n "
        "JOIN accounts_user u ON u.id = n.user_id WHERE n.url LIKE %s AND u.email <> ''",
        [f"%/consults/{consult}/"],
    )
    assert notes
    assert all(emailed_at is not None for _email, emailed_at in notes)
    for address, _ in notes:
        mails = [m for m in inbox.to(address) if f"/consults/{consult}/" in m]
        assert len(mails) == 1, f"{address} got {len(mails)} emails"

    # The new worker is a live process, and /healthz is content with it.
    [(new_pid,)] = pg.sql(
        name, "SELECT pid FROM core_workerheartbeat WHERE worker_id = %s", [workers[1]]
    )
    assert new_pid != dead_pid
    os.kill(new_pid, 0)
    health = app.wait_healthy(seconds=15)
    # The dead worker's last beat may still be younger than the limit for a moment.
    assert health["checks"]["worker"]["workers"] >= 1
    log = app.log_text()
    assert "was killed by SIGKILL; starting it again" in log
    # Handed back by the lease (the dead worker's silence), not taken from a live worker.
    assert f"Task {task_id} (caunoi.notifications.tasks.notification_email_send) was left " in log

    print(
        f"FIGURES worker-killed: lease={LEASE}s completed_after_kill={completed:.1f}s "
        f"emails={len(notes)} each_delivered_once=yes"
    )
