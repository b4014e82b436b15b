"""GET /healthz: 200 "ok" when everything answers; 200 "degraded" naming the extra that is down
(channel layer, cache: Redis); 503 "fail" naming a required part that is down (database, task
queue, task worker)."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from channels.layers import get_channel_layer
from django.db import connection
from django.test import Client
from django.utils import timezone

from caunoi.core import health
from caunoi.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def closed_port_url() -> str:
    """A Redis URL on a port where nothing listens: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def beating_worker():
    return WorkerHeartbeat.objects.create(
        worker_id="w-healthz", host="app-1", pid=4242, beat_at=timezone.now()
    )


def test_healthz_answers_ok_with_every_check(beating_worker):
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    checks = body["checks"]
    assert set(checks) == {"database", "channel_layer", "cache", "tasks", "worker", "audit_chain"}
    assert all(check["ok"] is True for check in checks.values())
    assert checks["database"]["backend"] == connection.vendor
    assert checks["channel_layer"]["backend"] == type(get_channel_layer()).__name__
    assert checks["cache"]["backend"] in ("LocMemCache", "RedisCache")
    assert checks["tasks"]["backend"] == "DatabaseBackend"
    assert checks["worker"]["workers"] == 1
    assert 0 <= checks["worker"]["age_s"] < 60
    assert all(check["ms"] >= 0 for check in checks.values())
    required = {name for name, check in checks.items() if check["required"]}
    assert required == {"database", "tasks", "worker", "audit_chain"}


def test_healthz_is_never_cached(beating_worker):
    response = Client().get("/healthz")

    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_refuses_post():
    assert Client().post("/healthz").status_code == 405


def test_no_running_worker_makes_healthz_fail():
    response = Client().get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["worker"]["ok"] is False
    assert body["checks"]["worker"]["error"] == (
        "CheckFailed: no task worker is running (caunoi worker)"
    )
    assert body["checks"]["database"]["ok"] is True


def test_worker_silent_for_over_a_minute_makes_healthz_fail_with_its_age(settings):
    settings.WORKER_HEARTBEAT_MAX_AGE = 60
    WorkerHeartbeat.objects.create(
        worker_id="w-stale", host="app-1", pid=1, beat_at=timezone.now() - timedelta(seconds=75)
    )

    response = Client().get("/healthz")

    assert response.status_code == 503
    worker = response.json()["checks"]["worker"]
    assert worker["ok"] is False
    assert 75 <= worker["age_s"] < 90
    assert "s old (limit 60 s)" in worker["error"]


def test_one_live_worker_among_dead_ones_is_enough(beating_worker):
    WorkerHeartbeat.objects.create(
        worker_id="w-dead", host="app-2", pid=2, beat_at=timezone.now() - timedelta(hours=2)
    )

    body = Client().get("/healthz").json()

    assert body["status"] == "ok"
    assert body["checks"]["worker"]["workers"] == 1


def test_channel_layer_down_degrades_healthz_but_keeps_200(beating_worker, monkeypatch):
    def broken() -> str:
        raise ConnectionError("redis is down")

    monkeypatch.setitem(health.CHECKS, "channel_layer", broken)

    response = Client().get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["channel_layer"]["ok"] is False
    assert body["checks"]["channel_layer"]["error"] == "ConnectionError: redis is down"
    assert "backend" not in body["checks"]["channel_layer"]
    # The other checks still ran and passed.
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["tasks"]["ok"] is True


def test_unreachable_redis_is_named_for_channel_layer_and_cache(beating_worker, settings):
    url = closed_port_url()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": url, "socket_connect_timeout": 1}]},
        }
    }
    settings.CACHES = {
        "default": {
            "BACKEND": "caunoi.core.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    response = Client().get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    layer, cache = body["checks"]["channel_layer"], body["checks"]["cache"]
    assert layer["ok"] is False
    assert layer["error"].startswith("ConnectionError: ")
    assert cache["ok"] is False
    assert cache["error"].startswith("RuntimeError: the cache did not keep a value (")
    assert "ConnectionError" in cache["error"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is True


def test_failing_database_makes_healthz_answer_503_naming_the_error(beating_worker, monkeypatch):
    def broken() -> str:
        raise RuntimeError("x" * 500)

    monkeypatch.setitem(health.CHECKS, "database", broken)

    response = Client().get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    error = body["checks"]["database"]["error"]
    assert error.startswith("RuntimeError: xxx")
    assert len(error) == 300


def test_a_load_balancer_keeps_a_server_without_worker_in_service_but_not_without_database(
    monkeypatch,
):
    answer = Client().get("/healthz", {"for": "lb"})
    assert answer.status_code == 200
    assert answer.json()["status"] == "degraded"  # the worker's failure is still reported
    assert answer.json()["checks"]["worker"]["ok"] is False

    def broken() -> str:
        raise RuntimeError("database gone")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    assert Client().get("/healthz", {"for": "lb"}).status_code == 503
