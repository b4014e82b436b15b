"""Fixtures of the deploy tests: a Redis of their own, the static files collected into the
test's data directory, the worker persona signed in (a session and an API token) with a patient,
all committed to the test database for the servers' processes, and removed afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.deploy.servers import REPO, Serve, nginx_missing, server_env
from tests.faults.harness import RedisServer

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def deploy_tools() -> None:
    missing = nginx_missing()
    if missing:
        if IN_CI:
            pytest.fail(f"deploy tests need {missing}")
        pytest.skip(f"deploy tests need {missing}")


@pytest.fixture
def redis(deploy_tools: None) -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def collected_static(tmp_path: Path) -> Path:
    """``caunoi collectstatic`` into this test's data directory (what nginx serves)."""
    done = subprocess.run(
        [sys.executable, "-m", "caunoi.cli", "collectstatic", "--no-input", "-v0"],
        cwd=REPO,
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    static = tmp_path / "static"
    assert (static / "core" / "live.js").is_file()
    return static


@dataclass
class SignedIn:
    username: str
    full_name: str
    session: str
    token: str
    patient: str


@pytest.fixture
def signed_in_worker(committed_db: None) -> Iterator[SignedIn]:
    """The commune worker with a session, an API token and a patient, committed."""
    from caunoi.accounts.models import ApiToken, User
    from caunoi.accounts.services import api_token_create
    from caunoi.consults.models import Consultation
    from caunoi.patients.tests.factories import make_patient

    worker = User.objects.get(username="worker")
    patient = make_patient(worker, name="Lò Thị Nginx")
    token_row, token = api_token_create(user=worker, name="deploy tests", actor=worker)
    client = Client()
    client.force_login(worker)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    yield SignedIn(worker.username, worker.full_name, session, token, str(patient.public_id))
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=session).delete()
    ApiToken.objects.filter(pk=token_row.pk).delete()
    Consultation.objects.filter(patient=patient).delete()
    patient.consents.all().delete()
    patient.delete()


def consult_body(person: SignedIn) -> tuple[bytes, dict[str, str]]:
    """A consultation submission through the API: its JSON body and headers."""
    body = json.dumps(
        {
            "patient": person.patient,
            "specialty": "internal-medicine",
            "reason": "Ho kéo dài",
            "question": "Có cần chụp X-quang phổi không?",
        }
    ).encode()
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {person.token}",
        "Idempotency-Key": str(uuid.uuid4()),
    }
    return body, headers


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Serve]]:
    """Start ``caunoi serve`` (stopped after the test, its log printed if the test failed)."""
    started: list[Serve] = []

    def start(*args: str, **env: str) -> Serve:
        server = Serve(tmp_path, server_env(tmp_path, **env), *args)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()
        print(f"--- {server.log.name} (last 4000 characters)\n{server.log_text()[-4000:]}")


def next_event(ws: Any, match: Callable[[dict[str, Any]], bool], seconds: float = 15) -> Any:
    """The first frame on ``ws`` (a websockets sync client) that ``match`` accepts, or None."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            data = json.loads(ws.recv(timeout=max(0.05, deadline - time.monotonic())))
        except TimeoutError:
            return None
        if match(data):
            return data
    return None
