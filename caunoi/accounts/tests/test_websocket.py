"""The live websocket, through the whole ASGI application with a real session cookie: a session
that has not given its second factor is not signed in there either."""

from __future__ import annotations

import pytest
from channels.testing.websocket import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from caunoi.accounts.models import User
from caunoi.config.asgi import application
from caunoi.core.tests.aio import run_async


def _connect(session_key: str, origin: str = "127.0.0.1") -> tuple[bool, int | None]:
    async def run():
        communicator = WebsocketCommunicator(
            application,
            "/ws/live/",
            headers=[
                (b"cookie", f"sessionid={session_key}".encode()),
                (b"origin", f"http://{origin}".encode()),
                (b"host", origin.encode()),
            ],
        )
        connected, code = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected, code

    return run_async(run)


@pytest.fixture
def session_of(committed_db):
    keys: list[str] = []

    def make(username: str) -> str:
        client = Client()
        client.force_login(User.objects.get(username=username))
        key = client.session.session_key
        assert key is not None
        keys.append(key)
        return key

    yield make
    Session.objects.filter(session_key__in=keys).delete()


def test_an_unfinished_session_cannot_open_the_live_socket(settings, session_of):
    settings.OTP_REQUIRED_ROLES = ["specialist"]

    connected, code = _connect(session_of("specialist"))

    assert connected is False
    assert code == 4401


def test_a_session_with_nothing_to_finish_opens_it(settings, session_of):
    settings.OTP_REQUIRED_ROLES = ["specialist"]

    connected, _code = _connect(session_of("worker"))

    assert connected is True


def test_a_session_of_someone_with_an_app_must_have_given_a_code(session_of):
    user = User.objects.get(username="coordinator")
    key = session_of("coordinator")  # signed in before the app existed: state "free"
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    try:
        later = session_of("coordinator")

        assert _connect(later) == (False, 4401)
        assert _connect(key)[0] is True
    finally:
        device.delete()


def test_another_site_is_refused_and_a_host_this_site_has_since_taken_is_not(settings, session_of):
    # Another site's page: refused before the session is looked at.
    assert _connect(session_of("worker"), origin="evil.example")[0] is False
    # A host added to ALLOWED_HOSTS after start-up (the check reads the setting each time).
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "tram.example"]
    assert _connect(session_of("worker"), origin="tram.example")[0] is True
    assert _connect(session_of("worker"), origin="evil.example")[0] is False
