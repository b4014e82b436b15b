"""Notifications beyond the bell and e-mail: SMS through a gateway and web push through a push
service, each a local HTTP server here that records what it is sent. The push message is
decrypted with the browser's keys (``http_ece``) and its VAPID signature checked with the
server's public key (``cryptography``): what a real push service and browser would do."""

from __future__ import annotations

import base64
import http.server
import json
import os
import threading
import time

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core import mail
from django.test import Client

from caunoi.accounts.models import User
from caunoi.audit.models import AuditEvent
from caunoi.notifications.channels import channels_send, push_public_key
from caunoi.notifications.models import ChannelChoice, Notification, PushSubscription
from caunoi.notifications.services import notify
from caunoi.notifications.tasks import notification_email_send

pytestmark = pytest.mark.django_db


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Recorder(http.server.ThreadingHTTPServer):
    """A gateway or push service: keeps each request, answers ``status``."""

    def __init__(self, status: int = 201) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.status = status
        super().__init__(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Recorder

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}  # names are case-blind
        self.server.requests.append((self.path, headers, body))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway(settings):
    server = Recorder(status=200)
    settings.SMS_GATEWAY_URL = f"{server.url}/send"
    settings.SMS_GATEWAY_TOKEN = "token-of-the-gateway"
    settings.SMS_SENDER = "CAUNOI"
    yield server
    server.shutdown()


@pytest.fixture
def vapid(settings):
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    settings.WEBPUSH_VAPID_PRIVATE_KEY = b64url(der)
    settings.WEBPUSH_CONTACT = "mailto:vanhanh@caunoi.local"
    settings.WEBPUSH_ALLOW_HTTP = True
    return key


@pytest.fixture
def push_service():
    server = Recorder(status=201)
    yield server
    server.shutdown()


def _browser_keys() -> tuple[ec.EllipticCurvePrivateKey, str, bytes]:
    """What a browser makes when it subscribes: a P-256 key pair and a 16-byte secret."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return key, b64url(public), os.urandom(16)


def _notify(user: User) -> Notification:
    (row,) = notify(
        users=[user],
        message="consult.answered",
        params={"specialty": "Nhi khoa"},
        url="/consults/x/",
    )
    return row


def test_an_sms_reaches_the_gateway_with_the_number_and_plain_text(gateway):
    worker = User.objects.get(username="worker")
    worker.phone = "0912 345 678"
    worker.language = "vi"
    worker.save()
    ChannelChoice.objects.create(user=worker, sms=True)
    row = _notify(worker)

    assert channels_send([row.pk]) == {"sms": 1, "push": 0}

    ((path, headers, body),) = gateway.requests
    assert path == "/send"
    assert headers["authorization"] == "Bearer token-of-the-gateway"
    sent = json.loads(body)
    assert sent["to"] == "+84912345678"
    assert sent["sender"] == "CAUNOI"
    # Vietnamese, without its diacritics: "Bác sĩ chuyên khoa đã trả lời…" → "Bac si…".
    assert sent["text"].isascii()
    assert "Nhi khoa" in sent["text"]
    assert sent["text"].endswith("/consults/x/")
    row.refresh_from_db()
    assert row.texted_at is not None
    # Sent once, however often the task runs.
    assert channels_send([row.pk]) == {"sms": 0, "push": 0}
    assert len(gateway.requests) == 1


def test_no_sms_for_someone_who_did_not_choose_it_or_has_read_it(gateway):
    worker = User.objects.get(username="worker")
    worker.phone = "0912345678"
    worker.save()
    row = _notify(worker)
    assert channels_send([row.pk])["sms"] == 0  # SMS is off by default
    ChannelChoice.objects.create(user=worker, sms=True)
    Notification.objects.filter(pk=row.pk).update(read_at=row.created_at)
    assert channels_send([row.pk])["sms"] == 0
    assert gateway.requests == []


def _verify_vapid(authorization: str, audience: str, server_key: ec.EllipticCurvePrivateKey):
    scheme, _sep, rest = authorization.partition(" ")
    assert scheme == "vapid"
    parts = dict(p.strip().split("=", 1) for p in rest.split(","))
    public = unb64url(parts["k"])
    expected = server_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert public == expected
    header, claims, signature = parts["t"].split(".")
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    # Raises if the signature is not the server's over this token.
    server_key.public_key().verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    payload = json.loads(unb64url(claims))
    assert payload["aud"] == audience
    assert payload["sub"] == "mailto:vanhanh@caunoi.local"
    assert payload["exp"] > time.time()


def test_web_push_is_encrypted_for_the_browser_and_signed_for_the_push_service(vapid, push_service):
    worker = User.objects.get(username="worker")
    worker.language = "en"
    worker.save()
    browser_key, p256dh, auth = _browser_keys()
    PushSubscription.objects.create(
        user=worker, endpoint=f"{push_service.url}/push/abc", p256dh=p256dh, auth=b64url(auth)
    )
    row = _notify(worker)

    assert channels_send([row.pk]) == {"sms": 0, "push": 1}

    ((path, headers, body),) = push_service.requests
    assert path == "/push/abc"
    assert headers["content-encoding"] == "aes128gcm"
    assert int(headers["ttl"]) == 24 * 3600
    _verify_vapid(headers["authorization"], push_service.url, vapid)
    message = json.loads(
        http_ece.decrypt(body, private_key=browser_key, auth_secret=auth, version="aes128gcm")
    )
    assert message["title"] == "A specialist answered your consultation"  # in English
    assert "Nhi khoa" in message["body"]
    assert message["url"] == "/consults/x/"
    assert message["tag"] == str(row.public_id)
    assert b"Nhi khoa" not in body  # not readable on the way
    row.refresh_from_db()
    assert row.pushed_at is not None
    assert push_public_key() == b64url(
        vapid.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def test_a_browser_the_push_service_no_longer_knows_is_forgotten(vapid, push_service):
    push_service.status = 410
    worker = User.objects.get(username="worker")
    _key, p256dh, auth = _browser_keys()
    PushSubscription.objects.create(
        user=worker, endpoint=f"{push_service.url}/gone", p256dh=p256dh, auth=b64url(auth)
    )
    row = _notify(worker)
    assert channels_send([row.pk]) == {"sms": 0, "push": 0}
    assert not PushSubscription.objects.filter(user=worker).exists()
    row.refresh_from_db()
    assert row.pushed_at is None


def test_someone_who_turned_email_off_is_not_mailed(settings):
    worker = User.objects.get(username="worker")
    row = _notify(worker)
    ChannelChoice.objects.create(user=worker, email=False)
    assert notification_email_send.call([row.pk]) == 0
    assert mail.outbox == []
    ChannelChoice.objects.filter(user=worker).update(email=True)
    assert notification_email_send.call([row.pk]) == 1
    assert len(mail.outbox) == 1


def test_the_person_chooses_channels_and_sms_needs_a_mobile_number():
    worker = User.objects.get(username="worker")
    worker.phone = ""
    worker.save()
    client = Client()
    client.force_login(worker)
    refused = client.post("/notifications/channels/", {"email": "on", "sms": "on"})
    assert refused.status_code == 200
    assert "phone" in refused.context["form"].errors
    assert not ChannelChoice.objects.filter(user=worker).exists()
    bad = client.post("/notifications/channels/", {"sms": "on", "phone": "12345"})
    assert "phone" in bad.context["form"].errors
    saved = client.post("/notifications/channels/", {"sms": "on", "phone": "0387 654 321"})
    assert saved.status_code == 302
    choice = ChannelChoice.objects.get(user=worker)
    assert (choice.email, choice.sms, choice.push) == (False, True, False)
    worker.refresh_from_db()
    assert worker.phone == "0387 654 321"
    event = AuditEvent.objects.filter(purpose="notification channels").latest("pk")
    assert event.actor_id == worker.pk
    assert event.detail == {"email": False, "sms": True, "push": False}


def test_a_browser_subscription_is_kept_once_and_bad_ones_refused(settings):
    settings.WEBPUSH_ALLOW_HTTP = False
    settings.WEBPUSH_SERVICES = ["push.example.org"]
    worker = User.objects.get(username="worker")
    client = Client()
    client.force_login(worker)
    _key, p256dh, auth = _browser_keys()
    good = {
        "endpoint": "https://push.example.org/send/xyz",
        "keys": {"p256dh": p256dh, "auth": b64url(auth)},
    }
    for bad in (
        "not json",
        json.dumps({**good, "endpoint": "http://push.example.org/x"}),
        # A host of the server's own network, or anyone's: the server would post there.
        json.dumps({**good, "endpoint": "https://10.0.0.5/admin"}),
        json.dumps({**good, "endpoint": "https://push.example.org.evil.example/x"}),
        json.dumps({**good, "keys": {"p256dh": "short", "auth": "x"}}),
        json.dumps(["a list"]),
    ):
        answer = client.post("/notifications/channels/push/", bad, content_type="application/json")
        assert answer.status_code in (400, 422), bad
        assert answer.json()["message"]
    assert not PushSubscription.objects.exists()
    for _ in range(2):
        answer = client.post(
            "/notifications/channels/push/", json.dumps(good), content_type="application/json"
        )
        assert answer.status_code == 201
    assert PushSubscription.objects.filter(user=worker).count() == 1
    removed = client.post(
        "/notifications/channels/push/",
        json.dumps({"remove": good["endpoint"]}),
        content_type="application/json",
    )
    assert removed.json() == {"removed": 1}
    assert not PushSubscription.objects.exists()


def test_a_batch_reads_the_choices_and_devices_once_whatever_its_size(vapid, push_service):
    """The queries of a batch do not grow with its rows (one per person read before)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    people = list(User.objects.filter(username__in=["worker", "specialist", "coordinator"]))
    for person in people:
        _key, p256dh, auth = _browser_keys()
        PushSubscription.objects.create(
            user=person,
            endpoint=f"{push_service.url}/{person.pk}",
            p256dh=p256dh,
            auth=b64url(auth),
        )
    ChannelChoice.objects.create(user=people[1], push=False)

    def reads(rows: list[Notification]) -> int:
        with CaptureQueriesContext(connection) as queries:
            channels_send([r.pk for r in rows])
        return sum(1 for q in queries.captured_queries if q["sql"].lstrip().startswith("SELECT"))

    assert reads([_notify(people[0])]) == reads([_notify(p) for p in people])
    # Each reached by its own choice: the one who turned device notifications off is not.
    assert sorted(path for path, _h, _b in push_service.requests) == sorted(
        f"/{p.pk}" for p in (people[0], people[0], people[2])
    )
