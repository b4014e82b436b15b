"""The settings production serving reads: kept database connections where they pay (PostgreSQL
under gunicorn) and never under ASGI, and LIVE_WS_URL — checked, and allowed by the CSP."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from caunoi.config.env import env_ws_origin
from tests.deploy.servers import REPO

pytestmark = pytest.mark.xdist_group("deploy")

PROBE = """
import json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "caunoi.config.settings"
import django
django.setup()
from django.conf import settings
db = settings.DATABASES["default"]
out = {"wsgi": [db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"]],
       "connect_src": settings.SECURE_CSP["connect-src"]}
import caunoi.config.asgi
out["asgi"] = settings.DATABASES["default"]["CONN_MAX_AGE"]
print(json.dumps(out))
"""


def _settings_with(tmp_path, **env: str) -> dict:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DB_CONN_MAX_AGE", "LIVE_WS_URL", "REDIS_URL")
    }
    environment.update(CAUNOI_DATA_DIR=str(tmp_path), **env)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_postgresql_keeps_connections_under_gunicorn_and_never_under_asgi(tmp_path):
    # Settings only: nothing connects to this address.
    found = _settings_with(tmp_path, DATABASE_URL="postgres://caunoi@127.0.0.1:1/none")
    assert found["wsgi"] == [60, True]
    assert found["asgi"] == 0


def test_sqlite_and_an_explicit_setting_keep_what_they_say(tmp_path):
    assert _settings_with(tmp_path)["wsgi"] == [0, False]
    found = _settings_with(
        tmp_path, DATABASE_URL="postgres://caunoi@127.0.0.1:1/none", DB_CONN_MAX_AGE="0"
    )
    assert found["wsgi"] == [0, False]


def test_the_csp_allows_the_websocket_port_or_origin_and_nothing_more(tmp_path):
    assert _settings_with(tmp_path)["connect_src"] == ["'self'"]
    assert _settings_with(
        tmp_path, LIVE_WS_URL=":8001", ALLOWED_HOSTS="caunoi.syt.gov.vn,.caunoi.vn"
    )["connect_src"] == [
        "'self'",
        "ws://caunoi.syt.gov.vn:8001",
        "wss://caunoi.syt.gov.vn:8001",
        "ws://*.caunoi.vn:8001",
        "wss://*.caunoi.vn:8001",
        "ws://caunoi.vn:8001",
        "wss://caunoi.vn:8001",
    ]
    assert _settings_with(tmp_path, LIVE_WS_URL="wss://live.example.org/")["connect_src"] == [
        "'self'",
        "wss://live.example.org",
    ]


@pytest.mark.parametrize(
    "value",
    [":", ":http", ":70000", "https://live.example.org", "wss://", "wss://host/ws/", "live:80"],
)
def test_a_live_ws_url_that_is_not_a_port_or_websocket_origin_is_refused(monkeypatch, value):
    monkeypatch.setenv("LIVE_WS_URL", value)
    with pytest.raises(ImproperlyConfigured):
        env_ws_origin("LIVE_WS_URL")


@pytest.mark.parametrize(
    ("value", "kept"),
    [("", ""), (":8001", ":8001"), ("wss://live.example.org/", "wss://live.example.org")],
)
def test_a_live_ws_url_that_is_a_port_or_websocket_origin_is_kept(monkeypatch, value, kept):
    monkeypatch.setenv("LIVE_WS_URL", value)
    assert env_ws_origin("LIVE_WS_URL") == kept
