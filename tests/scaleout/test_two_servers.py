"""Two app servers, one PostgreSQL, one Redis: what a person does on one server is seen by
people connected to the other, as behind a load balancer that sends each request anywhere.

Both servers are real ``caunoi serve`` processes on the test database (committed rows) and the
test Redis, under a key prefix of their own; the test talks to them over HTTP and websockets.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from django_tasks_db.models import DBTaskResult

from caunoi.accounts.models import ApiToken, User
from caunoi.accounts.services import api_token_create
from caunoi.consults.models import Consultation
from caunoi.notifications.models import Notification
from caunoi.patients.tests.factories import make_patient
from tests.scaleout.servers import (
    AppServer,
    Browser,
    api,
    database_url,
    next_frame,
    server_env,
)

pytestmark = pytest.mark.postgres

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def servers(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AppServer, AppServer, str]]:
    """Servers A and B on the test database and Redis, sharing a Redis prefix of their own."""
    if not settings.REDIS_URL:
        if IN_CI:
            pytest.fail("the two-server test needs REDIS_URL")
        pytest.skip("needs Redis (set REDIS_URL)")
    root = tmp_path_factory.mktemp("two-servers")
    prefix = f"scaleout-{uuid.uuid4().hex[:12]}"
    with django_db_blocker.unblock():
        env = server_env(
            root, DATABASE_URL=database_url(), REDIS_URL=settings.REDIS_URL, REDIS_PREFIX=prefix
        )
    a, b = AppServer(root, env, "server-a"), AppServer(root, env, "server-b")
    try:
        a.start()
        b.start()
        yield a, b, prefix
    finally:
        a.stop()
        b.stop()


def test_signed_in_on_one_server_is_signed_in_on_the_other(committed_db, servers):
    a, b, _prefix = servers
    browser = Browser()
    browser.sign_in(a.base, "coordinator")

    status, url, page = browser.request("GET", b.base + "/")
    assert status == 200
    assert "/accounts/login/" not in url
    assert User.objects.get(username="coordinator").full_name in page

    # Not signed in anywhere: B sends the browser to its login page.
    status, url, _page = Browser().request("GET", b.base + "/")
    assert "/accounts/login/" in url


@pytest.fixture
def worker_token(committed_db) -> Iterator[str]:
    worker = User.objects.get(username="worker")
    row, token = api_token_create(user=worker, name="scale-out test", actor=worker)
    yield token
    ApiToken.objects.filter(pk=row.pk).delete()


@pytest.fixture
def patient(committed_db) -> Iterator[Any]:
    tasks_before = set(DBTaskResult.objects.values_list("id", flat=True))
    p = make_patient(User.objects.get(username="worker"), name="Lò Thị Scale")
    yield p
    for c in Consultation.objects.filter(patient=p):
        Notification.objects.filter(url=c.get_absolute_url()).delete()
        c.delete()
    p.consents.all().delete()
    p.delete()
    DBTaskResult.objects.exclude(id__in=tasks_before).delete()


def test_notification_raised_on_one_server_reaches_a_page_open_on_the_other(
    committed_db, servers, worker_token, patient
):
    a, b, prefix = servers
    coordinator = User.objects.get(username="coordinator")
    specialist = User.objects.get(username="specialist")
    browser = Browser()
    browser.sign_in(a.base, "coordinator")

    with browser.websocket(b) as ws:  # the coordinator's page, served by B
        ws.send(json.dumps({"type": "ping"}))
        assert next_frame(ws, lambda f: f.get("type") == "pong") is not None

        # B counted the coordinator's open page in the cache; the cache is Redis, one for both.
        shared = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": prefix})
        assert shared.get(f"presence:{coordinator.pk}") == 1

        # The worker asks a specialist through server A.
        status, body = api(
            "POST",
            a.base + "/api/consults",
            {
                "patient": str(patient.public_id),
                "specialty": "internal-medicine",
                "reason": "Khó thở khi nằm",
                "question": "Có cần chuyển viện không?",
            },
            token=worker_token,
        )
        assert status == 201, body
        consult = Consultation.objects.get(public_id=body["id"])

        # The notification raised on A arrives on the page connected to B.
        frame = next_frame(
            ws,
            lambda f: (
                f.get("type") == "notification" and f.get("url") == consult.get_absolute_url()
            ),
        )
        assert frame is not None, "the notification raised on A never reached B's websocket"
        assert frame["title"]

    # A read the presence that B wrote: the coordinator had a page open, so only the
    # specialist, who had none, is mailed.
    notified = dict(
        Notification.objects.filter(url=consult.get_absolute_url()).values_list("user_id", "id")
    )
    assert set(notified) >= {coordinator.pk, specialist.pk}
    emailed: set[int] = set()
    for task in DBTaskResult.objects.filter(task_path__endswith="notification_email_send"):
        emailed.update(task.args_kwargs["args"][0])
    assert notified[specialist.pk] in emailed
    assert notified[coordinator.pk] not in emailed
