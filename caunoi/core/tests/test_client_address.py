"""The client's address comes from the connection, or from X-Forwarded-For only as far as the
configured proxies wrote it; the lock-out and the audit trail both use it, and `caunoi serve`
does not let uvicorn rewrite it from the header on its own."""

from __future__ import annotations

import http.cookiejar
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import RequestFactory

from caunoi.accounts.throttle import login_throttle_reset
from caunoi.audit.models import AuditAction, AuditEvent
from caunoi.audit.origin import origin_of
from caunoi.core.client_address import client_address

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(remote: str = "127.0.0.1", forwarded: str | None = None):
    request = RequestFactory().get("/")
    request.META["REMOTE_ADDR"] = remote
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


def test_without_trusted_proxies_the_connection_address_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_address(_request("198.51.100.4", "203.0.113.1")) == "198.51.100.4"


def test_one_trusted_proxy_means_the_rightmost_forwarded_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    # The client wrote "6.6.6.6" itself; nginx appended the address it saw.
    assert client_address(_request("127.0.0.1", "6.6.6.6, 203.0.113.9")) == "203.0.113.9"


def test_two_trusted_proxies_skip_the_inner_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    request = _request("10.0.0.2", "6.6.6.6, 203.0.113.9, 10.0.0.1")

    assert client_address(request) == "203.0.113.9"


def test_a_header_shorter_than_the_proxy_chain_falls_back_to_the_connection(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    assert client_address(_request("10.0.0.2", "203.0.113.9")) == "10.0.0.2"
    assert client_address(_request("10.0.0.2")) == "10.0.0.2"


def test_garbage_or_ports_in_the_header_are_handled(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(_request("127.0.0.1", "not-an-ip")) == "127.0.0.1"
    assert client_address(_request("127.0.0.1", "203.0.113.9:5123")) == "203.0.113.9"
    assert client_address(_request("127.0.0.1", "[2001:db8::7]:443")) == "2001:db8::7"


def test_audit_rows_record_the_same_address_as_the_lock_out(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert origin_of(_request("127.0.0.1", "6.6.6.6, 203.0.113.9")).ip_address == "203.0.113.9"


@pytest.mark.django_db
def test_log_in_audit_row_records_the_address_behind_the_proxy(client, settings, worker):
    settings.TRUSTED_PROXY_COUNT = 1
    login_throttle_reset("worker")

    client.post(
        "/accounts/login/",
        {"username": "worker", "password": "caunoi-demo"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9",
    )

    row = AuditEvent.objects.filter(action=AuditAction.LOGIN, actor=worker).latest("id")
    assert row.ip_address == "203.0.113.9"


# --- through the real server, started the way `caunoi serve` starts it ----------------------


class ServedApp:
    """`caunoi serve --single`'s uvicorn options, captured from the command, on a free port
    (split serving runs uvicorn only for websockets, as a process: tests/deploy)."""

    def __init__(self) -> None:
        import uvicorn

        from caunoi.config.asgi import application

        with mock.patch("uvicorn.run") as run:
            call_command("serve", "--single", "--port", "1")
        options = dict(run.call_args.kwargs)
        for name in ("host", "port", "workers", "log_level"):
            options.pop(name, None)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            application,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            **options,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _post_login(opener, base: str, username: str, password: str, forwarded: str) -> int:
    page = opener.open(f"{base}/accounts/login/").read().decode()
    found = CSRF.search(page)
    assert found is not None
    token = found.group(1)
    body = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 -- our own server on 127.0.0.1
        f"{base}/accounts/login/", data=body, headers={"X-Forwarded-For": forwarded}
    )
    try:
        return opener.open(request).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_rotating_x_forwarded_for_does_not_change_the_counted_address(committed_db, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    username = "ghost-rotating-xff"
    login_throttle_reset(username)
    served = ServedApp()
    try:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        statuses = [
            _post_login(opener, served.url, username, "guess", f"203.0.113.{n}")
            for n in range(1, 12)
        ]
        recorded = set(
            AccessAttempt.objects.filter(username=username).values_list("ip_address", flat=True)
        )
    finally:
        served.stop()
        AccessAttempt.objects.filter(username=username).delete()
        login_throttle_reset(username)

    assert recorded == {"127.0.0.1"}
    assert statuses[:9] == [200] * 9  # the form again, with its error
    # The tenth failure locks the name out from this address, whatever the header said.
    assert statuses[9:] == [429, 429]
