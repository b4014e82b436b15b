"""Dashboard latency (in-process, one request at a time): the province dashboard as the officer
and the network dashboard as the administrator, p50 and p95 over repeated requests.

    DATABASE_URL=postgres://postgres@127.0.0.1/caunoi_bench .venv/bin/python benchmarks/dashboard.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")
import django

django.setup()

from django.test import Client
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 15


def measure(username: str, path: str) -> tuple[float, float]:
    client = Client()
    client.force_login(User.objects.get(username=username))
    client.get(path)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        assert client.get(path).status_code == 200
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    month = f"{timezone.localdate():%Y-%m}"
    year = f"{timezone.localdate():%Y}"
    print(f"consultations: {Consultation.objects.count():,}")
    for label, user, path in [
        ("province dashboard, this month", "officer", f"/monitoring/?place=8&period={month}"),
        ("province dashboard, this year", "officer", f"/monitoring/?place=8&period={year}"),
        ("network dashboard, this month", "admin", f"/monitoring/?place=network&period={month}"),
    ]:
        p50, p95 = measure(user, path)
        print(f"{label:34} p50 {p50:7.0f} ms   p95 {p95:7.0f} ms")


if __name__ == "__main__":
    main()
