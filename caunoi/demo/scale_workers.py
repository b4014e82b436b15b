"""Bulk generation of large data sets for benchmarks (not for real use).

Rows are built in memory and written with multi-row INSERTs in batches; on PostgreSQL this
writes tens of thousands of rows a second on the 2-core machine (see BENCHMARKS.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib.auth.hashers import make_password
from django.db import transaction

from caunoi.accounts.models import User
from caunoi.core.planner_statistics import refresh_planner_statistics
from caunoi.core.text import fold
from caunoi.demo.network import DEMO_PASSWORD, NameMaker, stable_uuid
from caunoi.network.models import Facility, FacilityKind, Membership, Profession, Role

BATCH = 5000
PROFESSIONS = [Profession.DOCTOR, Profession.ASSISTANT_DOCTOR, Profession.NURSE, Profession.MIDWIFE]


def scale_workers_load(*, count: int, progress: Callable[[str], None] | None = None) -> float:
    """Add ``count`` generated workers to the active stations, round-robin. Returns rows/s."""
    say = progress or (lambda _message: None)
    stations = list(
        Facility.objects.active().filter(kind=FacilityKind.STATION).values_list("id", flat=True)
    )
    if not stations:
        raise ValueError("Load the demo network first: there are no stations to staff.")
    start = User.objects.filter(username__startswith="scale.").count()
    password = make_password(DEMO_PASSWORD)
    names = NameMaker(f"scale:{start}")
    started = time.perf_counter()
    written = 0
    for batch_start in range(start, start + count, BATCH):
        batch_end = min(batch_start + BATCH, start + count)
        users = []
        memberships = []
        for n in range(batch_start, batch_end):
            full_name = names.person()
            username = f"scale.w{n:07d}"
            user = User(
                public_id=stable_uuid("user", username),
                username=username,
                full_name=full_name,
                search_name=fold(f"{full_name} {username}"),
                password=password,
            )
            users.append(user)
            memberships.append(
                Membership(
                    public_id=stable_uuid("membership", username),
                    user=user,
                    facility_id=stations[n % len(stations)],
                    role=Role.WORKER,
                    profession=PROFESSIONS[n % len(PROFESSIONS)],
                    licence_number=f"{n % 1_000_000:06d}/S{n // 1_000_000:d}C-CCHN",
                )
            )
        with transaction.atomic():
            User.objects.bulk_create(users, batch_size=BATCH)
            for m in memberships:
                m.user_id = m.user.id
            Membership.objects.bulk_create(memberships, batch_size=BATCH)
        written += 2 * len(users)
        elapsed = time.perf_counter() - started
        say(f"{batch_end - start}/{count} workers, {written / elapsed:,.0f} rows/s")
    rate = written / max(time.perf_counter() - started, 1e-9)
    refresh_planner_statistics(["accounts_user", "network_membership"])
    return rate
