"""Training at scale (issue 14): attendance of a 500-person session with 3 joins each, and one
health worker's CME ledger among 20,000 workers and 200,000 credit rows.

    export DATABASE_URL=postgres://postgres@127.0.0.1/caunoi_bench
    .venv/bin/caunoi migrate && .venv/bin/caunoi seed          # the demo network, once
    .venv/bin/python benchmarks/training.py                   # BENCH_WORKERS, BENCH_CREDITS

Loads its own rows (tagged, removed at the end): a training centre at the first hub, a course
with one two-hour session, BENCH_PARTICIPANTS learners (generated users) with three video-room
joins each, and BENCH_CREDITS credits spread over BENCH_WORKERS generated workers and five
years. Prints the median and p95 of BENCH_ROUNDS runs and the queries of one run.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")

import django

django.setup()

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.monitoring.catalogue import BY_CODE, Place
from caunoi.monitoring.indicators import compute
from caunoi.monitoring.periods import current_month
from caunoi.network.models import Facility, Membership
from caunoi.training.models import (
    AttendanceInterval,
    CmeCredit,
    CmeStanding,
    Course,
    Enrolment,
    TrainingCentre,
    TrainingSession,
)
from caunoi.training.selectors import cme_compliance, cme_ledger
from caunoi.training.services import session_attendance_compute

PARTICIPANTS = int(os.environ.get("BENCH_PARTICIPANTS", "500"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "20000"))
CREDITS = int(os.environ.get("BENCH_CREDITS", "200000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
TAG = "bench-training"


def timed(run, rounds=ROUNDS):  # type: ignore[no-untyped-def]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def queries(run) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured.captured_queries)


def load() -> tuple[TrainingSession, User]:
    hub = Facility.objects.filter(is_hub=True).order_by("id").first()
    assert hub is not None, "seed the demo network first"
    organiser = Membership.objects.filter(facility=hub, role="specialist").first()
    assert organiser is not None
    centre, _ = TrainingCentre.objects.get_or_create(
        facility=hub, defaults={"cme_provider_code": f"{TAG}-{uuid.uuid4().hex[:6]}"}
    )
    start = timezone.now() - timedelta(days=1)
    course = Course.objects.create(
        centre=centre, title_vi=TAG, format="live_online", tiet=Decimal(4), capacity=5000,
        status="published", created_by=organiser.user, starts_on=start.date(), ends_on=start.date(),
    )  # fmt: skip
    session = TrainingSession.objects.create(
        course=course, title=TAG, starts_at=start, ends_at=start + timedelta(hours=2), mode="room"
    )
    people = User.objects.bulk_create(
        User(username=f"{TAG}-{n}", full_name=f"Học viên {n}", search_name=f"hoc vien {n}")
        for n in range(max(PARTICIPANTS, WORKERS))
    )
    Enrolment.objects.bulk_create(
        Enrolment(course=course, user=u, status="enrolled") for u in people[:PARTICIPANTS]
    )
    rng = random.Random(14)
    intervals = []
    for u in people[:PARTICIPANTS]:
        t = start
        for _ in range(3):
            joined = t + timedelta(minutes=rng.randint(0, 10))
            left = joined + timedelta(minutes=rng.randint(20, 45))
            intervals.append(
                AttendanceInterval(
                    session=session, user=u, joined_at=joined, left_at=left, source="video"
                )
            )
            t = left
    AttendanceInterval.objects.bulk_create(intervals, batch_size=5000)
    # The workers staff the facilities of one province (the compliance table's province).
    province_id = hub.province_id
    stations = list(Facility.objects.filter(province_id=province_id).values_list("id", flat=True))
    Membership.objects.bulk_create(
        (
            Membership(user=u, facility_id=stations[n % len(stations)], role="worker")
            for n, u in enumerate(people[:WORKERS])
        ),
        batch_size=5000,
    )
    today = timezone.localdate()
    CmeCredit.objects.bulk_create(
        (
            CmeCredit(
                user=people[n % WORKERS],
                activity_type="course",
                title=TAG,
                provider=TAG,
                tiet=Decimal(rng.choice([4, 8, 12, 16])),
                earned_on=today - timedelta(days=rng.randint(0, 5 * 365)),
                source="platform",
            )
            for n in range(CREDITS)
        ),
        batch_size=10000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return session, people[0]


def unload() -> None:
    with transaction.atomic():
        CmeCredit.objects.filter(title=TAG).delete()
        AttendanceInterval.objects.filter(session__title=TAG).delete()
        Course.objects.filter(title_vi=TAG).delete()
        Membership.objects.filter(user__username__startswith=f"{TAG}-").delete()
        User.objects.filter(username__startswith=f"{TAG}-").delete()


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL (see the docstring).")
    unload()
    started = time.perf_counter()
    session, learner = load()
    print(
        f"loaded {PARTICIPANTS} participants × 3 joins, {CREDITS:,} credits over "
        f"{WORKERS:,} workers in {time.perf_counter() - started:.1f} s"
    )
    try:
        attend = lambda: session_attendance_compute(session=session)  # noqa: E731
        attend()
        p50, p95 = timed(attend, rounds=max(5, ROUNDS // 4))
        print(f"| attendance of {PARTICIPANTS} | {p50:.0f} | {p95:.0f} | {queries(attend)} |")
        today = date.today()
        ledger = lambda: cme_ledger(learner, today=today)  # noqa: E731
        p50, p95 = timed(ledger)
        print(f"| cme_ledger (one worker) | {p50:.1f} | {p95:.1f} | {queries(ledger)} |")
        client = Client()
        client.force_login(learner)
        page = lambda: client.get("/training/ledger/")  # noqa: E731
        assert page().status_code == 200
        p50, p95 = timed(page)
        print(f"| GET /training/ledger/ | {p50:.1f} | {p95:.1f} | {queries(page)} |")
        api = lambda: client.get("/api/cme/ledger")  # noqa: E731
        assert api().status_code == 200
        p50, p95 = timed(api)
        print(f"| GET /api/cme/ledger | {p50:.1f} | {p95:.1f} | {queries(api)} |")
        hub = session.course.centre.facility
        facilities = set(
            Facility.objects.filter(province_id=hub.province_id).values_list("id", flat=True)
        )
        table = lambda: cme_compliance(facilities)  # noqa: E731
        CmeStanding.objects.all().delete()
        started = time.perf_counter()
        rows = table()  # nothing kept yet: every credit is read, the standings are written
        cold = (time.perf_counter() - started) * 1000
        staff = sum(r.staff for r in rows)
        print(
            f"| province compliance table, first count ({len(rows)} facilities, {staff:,} "
            f"staff; standings written) | {cold:.0f} | {cold:.0f} | — |"
        )
        p50, p95 = timed(table, rounds=max(5, ROUNDS // 2))
        print(
            f"| province compliance table, standings kept | "
            f"{p50:.0f} | {p95:.0f} | {queries(table)} |"
        )
        # One credit changes: only that person is recomputed.
        CmeCredit.objects.filter(user=learner, title=TAG).first().save()  # type: ignore[union-attr]
        started = time.perf_counter()
        table()
        one = (time.perf_counter() - started) * 1000
        print(f"| province compliance table, one person's credits changed | {one:.0f} | — | — |")
        place = Place(kind="province", province_code=hub.province.code)
        indicator = lambda: compute(BY_CODE["cme_on_track"], current_month(), place)  # noqa: E731
        indicator()
        p50, p95 = timed(indicator, rounds=max(5, ROUNDS // 2))
        print(
            f"| indicator cme_on_track, province, this month | {p50:.0f} | {p95:.0f} | "
            f"{queries(indicator)} |"
        )
    finally:
        unload()


if __name__ == "__main__":
    main()
