"""Redis (channel layer and cache) stops while people work: writes still answer 2xx, a
notification goes out by email even to somebody whose page was open (presence cannot be read),
/healthz says which part is down, and when Redis comes back on the same port, live updates
reach the reconnected page again — without restarting the server."""

from __future__ import annotations

import os
import time
import uuid

import pytest

from tests.faults.harness import LiveClient, api, wait_for

pytestmark = pytest.mark.faults

# Consultations submitted while Redis is down (more with CAUNOI_FAULT_WRITES, for the figures).
WRITES = max(1, int(os.environ.get("CAUNOI_FAULT_WRITES", "15")) // 5)


def _submit(app, people) -> tuple[int, str]:
    status, body = api(
        "POST",
        app.base + "/api/consults",
        {
            "patient": people["patient"],
            "specialty": "internal-medicine",
            "reason": "Đau bụng",
            "question": "Xử trí thế nào?",
        },
        token=people["worker"]["token"],
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    return status, (body or {}).get("id", "")


def _message(app, people, who: str, consult_id: str, text: str) -> int:
    status, _ = api(
        "POST",
        f"{app.base}/api/consults/{consult_id}/messages",
        {"body": text},
        token=people[who]["token"],
    )
    return status


def _pushed(live, consult_id: str, event: str, seconds: float = 15):
    return live.next_message(
        lambda m: m.get("type") == "consult" and m.get("id") == consult_id and m["event"] == event,
        seconds,
    )


def test_redis_stopped_writes_succeed_mail_goes_out_and_live_updates_resume(
    database, people, start_app, smtp, redis
):
    pg, name = database
    inbox = smtp.inbox
    worker_email = people["worker"]["email"]
    app = start_app(redis_url=redis.url)
    app.wait_healthy()
    live = LiveClient(app.base, people["worker"]["session"], [{"subscribe": "queues"}])
    live.start()
    try:
        wait_for(lambda: live.subscribed >= 1, "the worker's page to subscribe")

        # Redis up: the worker's open page gets the live update and, being online, no email.
        status, first = _submit(app, people)
        assert status == 201
        assert _pushed(live, first, "submitted")
        assert _message(app, people, "specialist", first, "Cho xem kết quả xét nghiệm.") == 201
        note = live.next_message(lambda m: m.get("type") == "notification", 15)
        assert note is not None
        assert note["url"].endswith(f"/consults/{first}/")
        [(online_note,)] = pg.sql(
            name,
            "SELECT n.id FROM notifications_notification n JOIN accounts_user u "
            "ON u.id = n.user_id WHERE u.username = 'worker' AND n.kind = 'consult.message'",
        )
        queued_mail = pg.sql(
            name,
            "SELECT args_kwargs FROM django_tasks_database_dbtaskresult "
            "WHERE task_path LIKE '%%notification_email_send'",
        )
        assert all(online_note not in row[0]["args"][0] for row in queued_mail)

        # Redis stops.
        redis.stop()
        subscribed_before = live.subscribed
        statuses, seconds = [], []
        for _ in range(WRITES):
            started = time.monotonic()
            status, during = _submit(app, people)
            seconds.append(time.monotonic() - started)
            statuses.append(status)
        for who, text in (("specialist", "Gọi lại cho tôi."), ("worker", "Đã gọi, chờ ý kiến.")):
            started = time.monotonic()
            statuses.append(_message(app, people, who, during, text))
            seconds.append(time.monotonic() - started)
        assert statuses == [201] * (WRITES + 2)
        [(saved,)] = pg.sql(
            name,
            "SELECT count(*) FROM consults_message m JOIN consults_consultation c "
            "ON c.id = m.consultation_id WHERE c.public_id = %s",
            [during],
        )
        assert saved == 2

        code, health = app.health()
        assert code == 200
        assert health["status"] == "degraded"
        assert health["checks"]["channel_layer"]["ok"] is False
        assert health["checks"]["cache"]["ok"] is False
        assert health["checks"]["database"]["ok"] is True
        assert health["checks"]["worker"]["ok"] is True

        # The worker's page was open, but presence cannot be read: she is mailed.
        mails = wait_for(lambda: inbox.to(worker_email), "an email to the worker", 30)
        assert any(f"/consults/{during}/" in text for text in mails)

        # Redis comes back on the same port; the page reconnects by itself and subscribes again;
        # the server was not restarted.
        redis.start()
        back = time.monotonic()
        wait_for(lambda: live.subscribed > subscribed_before, "the page to subscribe again", 30)
        resumed = None
        tries = 0
        while resumed is None and time.monotonic() - back < 30:
            status, after = _submit(app, people)
            tries += 1
            assert status == 201
            resumed = _pushed(live, after, "submitted", seconds=1.5)
        assert resumed is not None, "no live update within 30 s of Redis coming back"
        live_back = time.monotonic() - back
        health = app.wait_healthy(seconds=15)
        assert health["checks"]["cache"]["ok"] is True
        assert app.process is not None
        assert app.process.poll() is None
    finally:
        live.stop()

    # No request failed, and the outage is one warning per part, not a report per push.
    outage_log = _outage_part(app.log_text())
    assert "ERROR django.request" not in outage_log
    assert outage_log.count("Channel layer (live updates) unreachable") == 1
    assert outage_log.count("Redis cache unreachable") == 1
    print(
        f"FIGURES redis-down: writes_2xx={statuses.count(201)}/{len(statuses)} "
        f"slowest_write={max(seconds):.2f}s mail_to_open_page=yes "
        f"live_updates_back_after={live_back:.1f}s submissions_until_push={tries}"
    )


def _outage_part(log: str) -> str:
    """The server's log from Redis going away."""
    start = log.find(" WARNING caunoi.outage ")
    return log[start:] if start >= 0 else ""
