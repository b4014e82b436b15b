"""GET /healthz: 200 when the database, the channel layer and the task backend all answer,
503 naming the failure otherwise."""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer
from django.db import connection
from django.test import Client

from caunoi.core import health

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_with_every_check():
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "channel_layer", "tasks"}
    assert all(check["ok"] is True for check in body["checks"].values())
    assert body["checks"]["database"]["backend"] == connection.vendor
    assert body["checks"]["channel_layer"]["backend"] == type(get_channel_layer()).__name__
    assert body["checks"]["tasks"]["backend"] == "DatabaseBackend"
    assert all(check["ms"] >= 0 for check in body["checks"].values())


def test_healthz_is_never_cached():
    response = Client().get("/healthz")

    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_refuses_post():
    assert Client().post("/healthz").status_code == 405


def test_failing_check_makes_healthz_answer_503_naming_the_error(monkeypatch):
    def broken() -> str:
        raise ConnectionError("redis is down")

    monkeypatch.setitem(health.CHECKS, "channel_layer", broken)

    response = Client().get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["channel_layer"]["ok"] is False
    assert body["checks"]["channel_layer"]["error"] == "ConnectionError: redis is down"
    assert "backend" not in body["checks"]["channel_layer"]
    # The other checks still ran and passed.
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["tasks"]["ok"] is True


def test_failing_database_check_is_reported(monkeypatch):
    def broken() -> str:
        raise RuntimeError("x" * 500)

    monkeypatch.setitem(health.CHECKS, "database", broken)

    body = Client().get("/healthz").json()

    assert body["status"] == "fail"
    error = body["checks"]["database"]["error"]
    assert error.startswith("RuntimeError: xxx")
    assert len(error) == 300
