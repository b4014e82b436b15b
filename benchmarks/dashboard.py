"""Dashboard latency (in-process, one request at a time): the province dashboard as the officer
and the network dashboard as the administrator, p50 and p95 over repeated requests; then, with
``--refresh``, the time to bring the facts up to date after one day of new consultations.

    DATABASE_URL=postgres://postgres@127.0.0.1/caunoi_bench .venv/bin/python benchmarks/dashboard.py
    DATABASE_URL=... .venv/bin/python benchmarks/dashboard.py --runs 15 --refresh

Run ``caunoi collectstatic`` once first (the pages use the hashed static files).
``--refresh`` adds consultations to the database (one day of the network's yearly flow).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")
import django

django.setup()

from django.db.models import Max
from django.test import Client
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.demo.scale_consults import scale_consults_load
from caunoi.monitoring.facts import refresh


def measure(username: str, path: str, runs: int) -> tuple[float, float]:
    client = Client()
    client.force_login(User.objects.get(username=username))
    client.get(path)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        assert client.get(path).status_code == 200
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95 + 0.5) - 1)]


def one_day_refresh() -> None:
    """A day's new consultations (a year's count / 365) submitted over the last day (those
    already closed reach back a few days), stamped as changed now, then the incremental refresh
    that a dashboard read or the command would run."""
    refresh()
    day = max(1, Consultation.objects.count() // 365)
    before = Consultation.objects.aggregate(m=Max("pk"))["m"] or 0
    scale_consults_load(count=day, history_days=1)
    Consultation.objects.filter(pk__gt=before).update(updated_at=timezone.now())
    done = refresh()
    print(
        f"refresh after one day of new data ({day:,} consultations): {done.seconds * 1000:,.0f} ms, "
        f"{done.written:,} facts written"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--refresh", action="store_true")
    args = parser.parse_args()
    refresh()  # bring the facts up to date before timing reads
    month = f"{timezone.localdate():%Y-%m}"
    year = f"{timezone.localdate():%Y}"
    print(f"consultations: {Consultation.objects.count():,}")
    for label, user, path in [
        ("province dashboard, this month", "officer", f"/monitoring/?place=8&period={month}"),
        ("province dashboard, this year", "officer", f"/monitoring/?place=8&period={year}"),
        ("network dashboard, this month", "admin", f"/monitoring/?place=network&period={month}"),
        ("network dashboard, this year", "admin", f"/monitoring/?place=network&period={year}"),
    ]:
        p50, p95 = measure(user, path, args.runs)
        print(f"{label:34} p50 {p50:7.0f} ms   p95 {p95:7.0f} ms")
    if args.refresh:
        one_day_refresh()


if __name__ == "__main__":
    main()
