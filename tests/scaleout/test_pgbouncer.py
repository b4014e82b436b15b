"""PgBouncer in transaction mode in front of PostgreSQL: with PGBOUNCER=true, services, the queue
page and ``iterator()`` reads work through it; without, a chunked read breaks as soon as its next
chunk is served by another server connection (the reason for the switch).

The test starts Debian's pgbouncer on a free port, in front of the test database on the shared
PostgreSQL, and runs the work in a subprocess whose settings point at it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from caunoi.audit.models import AuditEvent
from caunoi.consults.models import Consultation
from caunoi.patients.models import Patient
from tests.scaleout.postgres import PGBOUNCER, Bouncer
from tests.scaleout.servers import REPO, server_env

pytestmark = pytest.mark.postgres

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def bouncer(django_db_setup: None, django_db_blocker: Any) -> Iterator[Bouncer]:
    if not shutil.which(PGBOUNCER):
        if IN_CI:
            pytest.fail(f"needs {PGBOUNCER}")
        pytest.skip(f"needs {PGBOUNCER} (Debian package pgbouncer)")
    with django_db_blocker.unblock():
        where = connection.settings_dict
    server = Bouncer(host=where["HOST"] or "127.0.0.1", port=int(where["PORT"] or 5432))
    try:
        server.start()
        yield server
    finally:
        print(f"--- pgbouncer.log\n{server.log_text()[-3000:]}")
        server.close()


def _through(bouncer: Bouncer, tmp_path: Path, *args: str, **env: str) -> dict[str, Any]:
    url = bouncer.url(str(connection.settings_dict["NAME"]))
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("through_pgbouncer.py")), *args],
        cwd=REPO, env=server_env(tmp_path, DATABASE_URL=url, **env),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture
def name(committed_db) -> Iterator[str]:
    """The name of the patient the subprocess registers; removed with its consultation after."""
    name = f"Hà Thị Bouncer {uuid.uuid4().hex[:6]}"
    yield name
    for patient in Patient.objects.filter(full_name=name):
        Consultation.objects.filter(patient=patient).delete()
        patient.consents.all().delete()
        patient.delete()


def test_services_queue_page_and_iterator_work_through_pgbouncer(bouncer, tmp_path, name):
    result = _through(bouncer, tmp_path, name, PGBOUNCER="true")

    assert result["created"] is True
    consult = Consultation.objects.get(public_id=result["consult"])
    assert consult.status == "submitted"
    assert consult.patient.full_name == name
    assert AuditEvent.objects.filter(object_id=str(consult.public_id)).exists()
    assert result["queue_status"] == 200
    assert result["queue_shows_patient"] is True
    assert result["server_side_cursors"] is False
    assert result["error"] is None
    assert result["iterated"] == result["communes"] > 100


def test_without_the_switch_an_iterator_breaks_through_pgbouncer(bouncer, tmp_path, committed_db):
    result = _through(bouncer, tmp_path, "--iterator-only")

    assert result["server_side_cursors"] is True
    assert result["error"] is not None
    assert "does not exist" in result["error"]
