"""`caunoi serve` picks its layout from the channel layer: on the embedded default (no Redis,
an in-memory layer that lives in one process) one uvicorn serves pages, API and websockets, so a
push made by a request reaches a socket; with Redis, gunicorn serves the pages on --port and
uvicorn the websockets on --ws-port, and a browser on the page's port opens its live socket on the
other port, signed in by the same session cookie."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from tests.deploy.conftest import consult_body, next_event

pytestmark = pytest.mark.xdist_group("deploy")


def _post_consult(base: str, person) -> str:
    body, headers = consult_body(person)
    request = urllib.request.Request(  # noqa: S310 -- the test's own server
        f"{base}/api/consults", data=body, headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        assert response.status == 201
        return str(json.loads(response.read())["id"])


def test_serve_on_the_embedded_default_delivers_live_updates_from_one_process(
    signed_in_worker, serve
):
    from websockets.sync.client import connect

    person = signed_in_worker
    app = serve()  # no REDIS_URL: the in-memory channel layer
    app.wait_listening(app.port)
    base = f"http://127.0.0.1:{app.port}"
    with connect(
        f"ws://127.0.0.1:{app.port}/ws/live/",
        additional_headers={
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={person.session}",
            "Origin": base,
        },
        open_timeout=10,
    ) as ws:
        ws.send('{"subscribe": "queues"}')
        assert next_event(ws, lambda m: m.get("type") == "subscribed")
        consult_id = _post_consult(base, person)
        pushed = next_event(ws, lambda m: m.get("type") == "consult" and m.get("id") == consult_id)
    assert pushed is not None
    assert pushed["event"] == "submitted"
    log = app.log_text()
    assert "pages, API and websockets through uvicorn" in log
    assert "gunicorn" not in log.lower()


def test_gunicorn_binds_ipv6_hosts_in_brackets_and_believes_no_forwarded_header():
    from caunoi.core.management.commands.serve import gunicorn_command

    v6 = gunicorn_command(host="::1", port=8000, workers=2, threads=4)
    assert v6[v6.index("--bind") + 1] == "[::1]:8000"
    v4 = gunicorn_command(host="0.0.0.0", port=8000, workers=2, threads=4)  # noqa: S104
    assert v4[v4.index("--bind") + 1] == "0.0.0.0:8000"
    assert v4[v4.index("--worker-class") + 1] == "gthread"
    assert v4[v4.index("--forwarded-allow-ips") + 1] == ""


def test_split_without_redis_is_refused_with_the_reason():
    with override_settings(REDIS_URL=""), pytest.raises(CommandError) as refused:
        call_command("serve", "--split")
    assert "in-memory channel layer" in str(refused.value)


@pytest.mark.browser
def test_split_pages_open_their_live_socket_on_the_websocket_port(
    deploy_tools, redis, signed_in_worker, serve, browser, tmp_path: Path
):
    person = signed_in_worker
    app = serve(REDIS_URL=redis.url, REDIS_PREFIX=f"deploy-{tmp_path.name}")
    app.wait_listening(app.port, app.ws_port)
    base = f"http://127.0.0.1:{app.port}"
    context = browser.new_context(base_url=base, locale="vi-VN")
    context.set_default_timeout(15_000)
    try:
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": person.session, "url": base}]
        )
        page = context.new_page()
        violations: list[str] = []
        page.on(
            "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
        )
        page.goto("/consults/")
        assert page.locator("body").get_attribute("data-ws-origin") == f":{app.ws_port}"
        # Open only if uvicorn, on the other port, accepted the socket as this person: the CSP
        # allowed the port, the origin was accepted and the session cookie went along.
        page.wait_for_selector("body[data-live-state=open]")
        page.evaluate(
            "window.__live = []; document.addEventListener('caunoi:live', "
            "function (e) { window.__live.push(e.detail); });"
        )
        consult_id = _post_consult(base, person)
        page.wait_for_function(
            "id => window.__live.some(function (d) { return d.id === id; })", arg=consult_id
        )
        assert violations == []
    finally:
        context.close()
    log = app.log_text()
    assert '"GET /consults/ HTTP/1.1" 200' in log
    assert 'WebSocket /ws/live/" [accepted]' in log


def test_several_processes_without_redis_are_refused_with_the_reason():
    with override_settings(REDIS_URL=""), pytest.raises(CommandError) as refused:
        call_command("serve", "--single", "--workers", "2")
    assert "own in-memory channel layer" in str(refused.value)
