"""Production serving as deploy/ describes it: Debian's nginx with the repository's
deploy/nginx/caunoi.conf terminating TLS in front of `caunoi serve` split in two — gunicorn for
the pages and the API, uvicorn for the websockets — in production mode, with Redis between them.

A signed-in page, a static file (from disk, by nginx) and a websocket all pass through it; a
consultation submitted over HTTPS reaches the websocket that another process holds; the audit
trail records the address nginx saw, not one the client wrote into X-Forwarded-For.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.deploy.conftest import consult_body, next_event
from tests.deploy.servers import (
    CLIENT_ADDRESS,
    SITE_CONF,
    Nginx,
    client_socket,
    https_request,
    tls_context,
)

pytestmark = pytest.mark.xdist_group("deploy")

FORGED = "203.0.113.9"


def test_the_nginx_file_limits_uploads_to_request_max_mb():
    assert f"client_max_body_size {settings.REQUEST_MAX_BYTES // (1024 * 1024)}m;" in (
        SITE_CONF.read_text(encoding="utf-8")
    )


def test_page_static_file_and_websocket_pass_through_nginx_to_both_servers(
    deploy_tools, redis, collected_static, signed_in_worker, serve, tmp_path: Path
):
    from websockets.sync.client import connect

    from caunoi.audit.models import AuditEvent

    person = signed_in_worker
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    app = serve(
        "--split",
        REDIS_URL=redis.url,
        REDIS_PREFIX=f"deploy-{tmp_path.name}",
        CAUNOI_PRODUCTION="true",
        TRUSTED_PROXY_COUNT="1",
        LIVE_WS_URL="",
    )
    app.wait_listening(app.port, app.ws_port)
    nginx = Nginx(tmp_path, app_port=app.port, ws_port=app.ws_port, data_dir=tmp_path)
    nginx.start()
    try:
        cookie = f"{settings.SESSION_COOKIE_NAME}={person.session}"

        # A signed-in page, from gunicorn: Django believed nginx's X-Forwarded-Proto (no
        # redirect to https, HSTS sent) and tells the page to open its socket on this origin.
        status, headers, body = https_request(
            nginx.https_port, "GET", "/", headers={"Cookie": cookie}
        )
        page = body.decode()
        assert status == 200, (status, headers.get("location"))
        assert person.full_name in page
        assert 'data-live="/ws/live/"' in page
        assert "data-ws-origin" not in page
        assert "strict-transport-security" in headers

        # Plain HTTP is sent to HTTPS by nginx.
        with socket.create_connection(("127.0.0.1", nginx.http_port), timeout=10) as plain:
            plain.sendall(
                b"GET /consults/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            answer = plain.recv(4096).decode("latin-1")
        assert answer.startswith("HTTP/1.1 301")
        assert "Location: https://127.0.0.1/consults/" in answer

        # A static file, from disk by nginx: the app never sees the request.
        status, headers, body = https_request(nginx.https_port, "GET", "/static/core/live.js")
        assert status == 200
        assert body == (collected_static / "core" / "live.js").read_bytes()
        assert "max-age=3600" in headers.get("cache-control", "")

        # The websocket, through nginx to uvicorn, signed in with the same cookie.
        origin = f"https://127.0.0.1:{nginx.https_port}"
        with connect(
            f"wss://127.0.0.1:{nginx.https_port}/ws/live/",
            sock=client_socket(nginx.https_port),
            ssl=tls_context(),
            additional_headers={"Cookie": cookie, "Origin": origin},
            open_timeout=10,
        ) as ws:
            ws.send('{"subscribe": "queues"}')
            assert next_event(ws, lambda m: m.get("type") == "subscribed")

            # A consultation submitted over HTTPS (gunicorn) reaches the socket (uvicorn).
            payload, api_headers = consult_body(person)
            status, _headers, body = https_request(
                nginx.https_port,
                "POST",
                "/api/consults",
                body=payload,
                headers={**api_headers, "X-Forwarded-For": FORGED},
            )
            assert status == 201, body[:500]
            consult_id = json.loads(body)["id"]
            pushed = next_event(
                ws, lambda m: m.get("type") == "consult" and m.get("id") == consult_id
            )
            assert pushed is not None
            assert pushed["event"] == "submitted"

        # The address the audit trail recorded is the one nginx saw, not the forged one.
        recorded = AuditEvent.objects.filter(id__gt=before, actor__username=person.username)
        addresses = set(recorded.values_list("ip_address", flat=True))
        assert addresses == {CLIENT_ADDRESS}

        # An upload over REQUEST_MAX_MB is refused by nginx from its Content-Length.
        too_big = settings.REQUEST_MAX_BYTES + 1
        with tls_context().wrap_socket(
            client_socket(nginx.https_port), server_hostname="127.0.0.1"
        ) as raw:
            raw.sendall(
                f"POST /api/consults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {too_big}\r\n"
                "Content-Type: application/json\r\nConnection: close\r\n\r\n".encode()
            )
            answer = raw.recv(4096).decode("latin-1")
        assert answer.startswith("HTTP/1.1 413"), answer[:200]
        assert "nginx" in answer

        time.sleep(0.5)  # the access log line of the last request is written after its answer
        log = app.log_text()
        assert '"GET / HTTP/1.0"' in log or '"GET / HTTP/1.1"' in log
        assert "/static/core/live.js" not in log
        assert log.count("POST /api/consults") == 1
    finally:
        nginx.stop()
        print(f"--- nginx error.log\n{nginx.error_log()[-3000:]}")
