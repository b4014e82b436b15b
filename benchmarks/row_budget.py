"""Rows and bytes one teleconsultation leaves in the database, for the national-scale estimate
in docs/scale.md (issue 13).

    DATABASE_URL=postgres://postgres@127.0.0.1/caunoi_bench .venv/bin/python benchmarks/row_budget.py

Runs ``--consults`` whole consultations through the API and the pages, as the demo's worker and
specialist would (ask, the specialist opens it and takes it, one question back and forth, advice,
the worker reads it and closes it), counts the rows each table gained, and measures bytes per
row (heap and indexes) from the tables as they stand after ``VACUUM ANALYZE``. Writes to the
database it is pointed at: use a scratch one.
"""

from __future__ import annotations

import argparse
import json
import os
import uuid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")
import django

django.setup()

from django.db import connection
from django.test import Client

from caunoi.accounts.models import User
from caunoi.accounts.services import api_token_create
from caunoi.patients.models import Patient

TABLES = [
    "consults_consultation",
    "consults_consultationevent",
    "consults_message",
    "consults_participant",
    "notifications_notification",
    "audit_auditevent",
    "django_tasks_database_dbtaskresult",
    "monitoring_consultfact",
]


def counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        found = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our own table names)
            found[table] = cursor.fetchone()[0]
        return found


def sizes() -> dict[str, tuple[float, float]]:
    """Bytes per row of each table: heap (with TOAST) and indexes."""
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(
            "SELECT relname, reltuples, pg_table_size(oid), pg_indexes_size(oid) FROM pg_class "
            "WHERE relname = ANY(%s)",
            [TABLES],
        )
        return {
            name: (heap / max(rows, 1), index / max(rows, 1))
            for name, rows, heap, index in cursor.fetchall()
        }


def lifecycle(worker: Client, specialist: Client, patient: Patient) -> None:
    body = {
        "patient": str(patient.public_id),
        "specialty": "internal-medicine",
        "urgency": "routine",
        "reason": "Ho kéo dài hai tuần, sốt nhẹ về chiều",
        "question": "Có cần chụp X-quang phổi và làm xét nghiệm đờm không?",
        "temperature": 37.8,
    }
    made = worker.post(
        "/api/consults",
        json.dumps(body, ensure_ascii=False),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert made.status_code == 201, made.content
    consult = made.json()["id"]
    page = f"/api/consults/{consult}"
    specialist.get(page)
    assert specialist.post(f"{page}/claim").status_code == 200
    for who, text in [
        (specialist, "Bệnh nhân có sụt cân, ra mồ hôi đêm không?"),
        (worker, "Có sụt 3 kg trong một tháng, ra mồ hôi đêm."),
    ]:
        sent = who.post(
            f"{page}/messages",
            json.dumps({"body": text}, ensure_ascii=False),
            content_type="application/json",
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert sent.status_code in (200, 201), sent.content
        (worker if who is specialist else specialist).get(page)
    advice = {
        "advice": "Chụp X-quang phổi, xét nghiệm đờm AFB hai mẫu; chuyển lao nếu dương tính.",
        "outcome": "manage_locally",
        "diagnoses": ["A15.0"],
    }
    done = specialist.post(
        f"{page}/advice", json.dumps(advice, ensure_ascii=False), content_type="application/json"
    )
    assert done.status_code == 200, done.content
    worker.get(page)
    closed = worker.post(
        f"{page}/close",
        json.dumps({"action_taken": "Đã hẹn chụp X-quang ở trung tâm y tế."}),
        content_type="application/json",
    )
    assert closed.status_code == 200, closed.content


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--consults", type=int, default=50)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Run against PostgreSQL (a scratch database with the demo seed).")
    worker_user = User.objects.get(username="worker")
    specialist_user = User.objects.get(username="specialist")
    patient = Patient.objects.filter(
        facility__memberships__user=worker_user, consents__withdrawn_at__isnull=True
    ).first()
    assert patient is not None
    clients = []
    for user in (worker_user, specialist_user):
        _row, token = api_token_create(user=user, name="row budget", actor=user)
        clients.append(Client(headers={"Authorization": f"Bearer {token}"}))
    before = counts()
    for _ in range(args.consults):
        lifecycle(clients[0], clients[1], patient)
    after = counts()
    per_row = sizes()
    print(f"{args.consults} consultations, ask → advice → close through the API\n")
    print("| table | rows per consultation | heap B/row | index B/row | KB per consultation |")
    print("|---|---|---|---|---|")
    total = 0.0
    for table in TABLES:
        rows = (after[table] - before[table]) / args.consults
        heap, index = per_row[table]
        kb = rows * (heap + index) / 1024
        total += kb
        print(f"| {table} | {rows:.1f} | {heap:.0f} | {index:.0f} | {kb:.1f} |")
    print(f"| all | | | | {total:.1f} |")


if __name__ == "__main__":
    main()
