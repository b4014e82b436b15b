"""Run real work through PgBouncer (transaction mode): services that write with their audit
rows, the specialist's queue page, and an ``iterator()`` read while another client holds the
server connection the read started on. Run in a subprocess with DATABASE_URL pointing at
PgBouncer (and PGBOUNCER=true, or not, to see why it is needed); prints JSON.

``--iterator-only`` runs only the read."""

from __future__ import annotations

import json
import os
import sys
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.test_settings")

import django

django.setup()

import psycopg  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.utils import DatabaseError  # noqa: E402
from django.test import Client  # noqa: E402

from caunoi.accounts.models import User  # noqa: E402
from caunoi.consults.services import ConsultationInput, consultation_submit  # noqa: E402
from caunoi.consults.tests.factories import internal_medicine, summary  # noqa: E402
from caunoi.patients.tests.factories import make_patient  # noqa: E402
from caunoi.places.models import Commune  # noqa: E402


def services(name: str) -> dict[str, object]:
    """A patient registered with consent, a consultation submitted, the hub's queue page."""
    worker = User.objects.get(username="worker")
    patient = make_patient(worker, name=name)
    consult, created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        data=ConsultationInput(patient=patient, specialty=internal_medicine(), summary=summary()),
        submit=True,
    )
    client = Client()
    client.force_login(User.objects.get(username="specialist"))
    page = client.get("/consults/?queue=hub")
    return {
        "consult": str(consult.public_id),
        "created": created,
        "queue_status": page.status_code,
        "queue_shows_patient": name in page.content.decode(),
    }


def interleaved_iterator(url: str) -> dict[str, object]:
    """Read the communes with ``iterator()`` in chunks of 100. After the first chunk, other
    clients begin transactions until one of them holds the server connection where a
    server-side cursor of the read lives (none does when server-side cursors are off), so the
    next chunk is fetched through another server connection, as under load."""
    rows = Commune.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=100)
    seen = [next(rows)]
    holders = []
    try:
        for _ in range(3):  # default_pool_size is 4: one server is left for the read
            holder = psycopg.connect(url)  # not autocommit: holds its server until rollback
            holders.append(holder)
            [(cursors,)] = holder.execute("SELECT count(*) FROM pg_cursors").fetchall()
            if cursors:
                break
        try:
            seen += list(rows)
            error = None
        except (DatabaseError, psycopg.Error) as exc:  # closing the lost cursor fails too
            error = str(exc)
    finally:
        for holder in holders:
            holder.close()
    return {
        "iterated": len(seen),
        "communes": Commune.objects.count(),
        "error": error,
        "server_side_cursors": not connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"],
    }


def main() -> None:
    url = os.environ["DATABASE_URL"]
    out: dict[str, object] = {}
    if "--iterator-only" not in sys.argv:
        out.update(services(sys.argv[1]))
    out.update(interleaved_iterator(url))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
