"""Where one FHIR request spends its time, in-process (no network, no load): each request of
``fhir.py``'s mix answered ``BENCH_REPEAT`` times through Django's test client with ``worker``'s
API token — app CPU and wall time per request, SQL queries per request — and, with
``BENCH_PROFILE=1``, cProfile's heaviest functions over them all. A tool for finding the cost;
the figures that count are ``fhir.py``'s under load.

    DATABASE_URL=postgres://postgres@127.0.0.1/caunoi_fhir_bench REDIS_URL=redis://127.0.0.1:6379/0 \
      .venv/bin/python benchmarks/fhir_profile.py
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")

import django

django.setup()

from django.db import connection
from django.test import Client
from fhir import targets  # type: ignore[import-not-found]

from caunoi.accounts.models import User
from caunoi.accounts.services import api_token_create

REPEAT = int(os.environ.get("BENCH_REPEAT", "50"))


def _counter(queries: list[str]):  # type: ignore[no-untyped-def]
    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    return count


def main() -> None:
    worker = User.objects.get(username=os.environ.get("BENCH_USER", "worker"))
    _row, token = api_token_create(user=worker, name="fhir profile", actor=worker)
    t = targets(worker)
    only = os.environ.get("BENCH_ONLY", "")
    paths = [
        "/fhir/R4/Organization?name=tram%20y%20te&_count=20",
        f"/fhir/R4/PractitionerRole?organization=Organization/{t['hub']}"
        "&_include=PractitionerRole:practitioner&_count=20",
        f"/fhir/R4/Location?partof=Location/province-{t['province']}&_count=20",
        f"/fhir/R4/Patient?identifier={t['citizen']}",
        f"/fhir/R4/Patient?name={t['name']}&_count=20",
        f"/fhir/R4/ServiceRequest?patient=Patient/{t['patient']}",
        f"/fhir/R4/Task?owner=Organization/{t['hub']}&_count=20",
        f"/fhir/R4/Organization/{t['facility']}",
        f"/fhir/R4/Practitioner/{t['practitioner']}",
        f"/fhir/R4/Patient/{t['patient']}",
        f"/fhir/R4/ServiceRequest/{t['consult']}",
        f"/fhir/R4/Observation?based-on=ServiceRequest/{t['consult']}",
    ]
    paths = [p for p in paths if only in p]
    client = Client(headers={"Authorization": f"Bearer {token}"}, SERVER_NAME="localhost")
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    print("| request | app CPU ms | wall ms | queries |\n|---|---|---|---|")
    for path in paths:
        assert client.get(path).status_code == 200, path  # warm
        queries: list[str] = []
        with connection.execute_wrapper(_counter(queries)):
            client.get(path)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if profile:
            profile.enable()
        for _ in range(REPEAT):
            client.get(path)
        if profile:
            profile.disable()
        cpu = (time.process_time() - cpu0) * 1000 / REPEAT
        wall = (time.perf_counter() - wall0) * 1000 / REPEAT
        print(
            f"| {path.removeprefix('/fhir/R4/')[:70]} | {cpu:.1f} | {wall:.1f} | {len(queries)} |"
        )
    if profile:
        stats = pstats.Stats(profile)
        stats.sort_stats(os.environ.get("BENCH_SORT", "tottime")).print_stats(45)


if __name__ == "__main__":
    main()
