"""Keep the consultation facts (``ConsultFact``) in step with the consultations, incrementally.

The monthly roll-ups (``rollups.py``) of the months and provinces those facts count in are
rebuilt in the same transaction. A refresh looks at what changed since the last one — consultations, their patients, referrals
made from them and the facilities that sent them, found by ``updated_at`` — and rewrites only the
facts whose source is newer than what they were made from. Because a transaction may commit a
little after a refresh has looked, each refresh looks back ``OVERLAP`` before the previous one;
comparing versions keeps that look-back cheap. The facts are derived data: losing them loses
nothing (``caunoi indicators refresh --full`` rebuilds them from the consultations).

Code that changes consultations or patients with ``QuerySet.update()`` must set ``updated_at``
too; the services never do such updates.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from caunoi.consults.models import Consultation, Status
from caunoi.core.planner_statistics import refresh_planner_statistics
from caunoi.monitoring import rollups
from caunoi.monitoring.catalogue import age_band, minutes, vulnerable_groups_of
from caunoi.monitoring.models import ConsultFact, FactState
from caunoi.monitoring.periods import TZ
from caunoi.referrals.models import Referral

OVERLAP = timedelta(minutes=10)
CHUNK = 2000
LOCK_KEY = 7_403_019  # PostgreSQL advisory lock: one refresh at a time, full or not
NOT_COUNTED = (Status.DRAFT, Status.CANCELLED)
FIELDS = [
    "id",
    "status",
    "updated_at",
    "patient_id",
    "patient__updated_at",
    "requester_id",
    "specialist_id",
    "requester_facility_id",
    "hub_id",
    "specialty_id",
    "requester_facility__province__code",
    "requester_facility__commune__code",
    "submitted_at",
    "answered_at",
    "closed_at",
    "deadline_at",
    "first_response_at",
    "recommended_outcome",
    "urgency",
    "patient__sex",
    "patient__birth_date",
    "patient__ethnicity",
    "patient__household",
]
UPDATED = [
    f.name
    for f in ConsultFact._meta.concrete_fields
    if f.name != "consultation" and not f.primary_key
]


@dataclass
class Refreshed:
    written: int
    removed: int
    seconds: float
    skipped: bool = False  # another refresh was running (only when asked not to wait)


def _local_day(moment: datetime | None) -> Any:
    return moment.astimezone(TZ).date() if moment else None


def _fact(row: dict[str, Any], referred: bool) -> ConsultFact:
    band = age_band(row["patient__birth_date"], row["submitted_at"])
    groups = set(
        vulnerable_groups_of(
            {
                "ethnicity": row["patient__ethnicity"],
                "household": row["patient__household"],
                "age_band": band,
            }
        )
    )
    return ConsultFact(
        consultation_id=row["id"],
        consult_version=row["updated_at"],
        patient_version=row["patient__updated_at"],
        patient_id=row["patient_id"],
        requester_id=row["requester_id"],
        specialist_id=row["specialist_id"],
        facility_id=row["requester_facility_id"],
        hub_id=row["hub_id"],
        specialty_id=row["specialty_id"],
        province_code=row["requester_facility__province__code"],
        commune_code=row["requester_facility__commune__code"],
        submitted_on=_local_day(row["submitted_at"]),
        answered_on=_local_day(row["answered_at"]),
        closed_on=_local_day(row["closed_at"]),
        deadline_at=row["deadline_at"],
        first_response_at=row["first_response_at"],
        answered=row["answered_at"] is not None,
        response_minutes=minutes(row["submitted_at"], row["first_response_at"]),
        urgency=row["urgency"],
        sex=row["patient__sex"],
        age_band=band,
        ethnic_minority="ethnic_minority" in groups,
        poor="poor" in groups,
        near_poor="near_poor" in groups,
        elderly="elderly" in groups,
        child_under_6="child_under_6" in groups,
        vulnerable=bool(groups),
        referred=referred,
        resolved_locally=not referred and row["recommended_outcome"] != "refer",
    )


def _write(ids: list[int]) -> tuple[int, int, set[rollups.Cell]]:
    """Rewrite the facts of these consultations; returns (written, removed, the roll-up cells
    they counted in before or count in now)."""
    day_columns = [*rollups.DAY.values(), "province_code"]
    cells = rollups.cells_of(ConsultFact.objects.filter(pk__in=ids).values(*day_columns))
    rows = list(Consultation.objects.filter(pk__in=ids).values(*FIELDS))
    referred = set(
        Referral.objects.filter(consultation_id__in=ids).values_list("consultation_id", flat=True)
    )
    counted = [r for r in rows if r["status"] not in NOT_COUNTED]
    facts = [_fact(r, r["id"] in referred) for r in counted]
    gone = set(ids) - {r["id"] for r in counted}
    removed = ConsultFact.objects.filter(pk__in=gone).delete()[0] if gone else 0
    ConsultFact.objects.bulk_create(
        facts, update_conflicts=True, unique_fields=["consultation"], update_fields=UPDATED
    )
    cells |= rollups.cells_of({c: getattr(f, c) for c in day_columns} for f in facts)
    return len(facts), removed, cells


def _changed_since(since: datetime) -> set[int]:
    """Consultations whose fact is missing, stale or should no longer exist."""
    same_consult = ConsultFact.objects.filter(
        pk=OuterRef("pk"), consult_version=OuterRef("updated_at")
    )
    recent = Consultation.objects.filter(updated_at__gte=since)
    ids = set(
        recent.exclude(status__in=NOT_COUNTED)
        .exclude(Exists(same_consult))
        .values_list("pk", flat=True)
    )
    ids |= set(
        recent.filter(status__in=NOT_COUNTED)
        .filter(Exists(ConsultFact.objects.filter(pk=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    ids |= set(
        Consultation.objects.filter(patient__updated_at__gte=since)
        .exclude(status__in=NOT_COUNTED)
        .exclude(
            Exists(
                ConsultFact.objects.filter(
                    pk=OuterRef("pk"), patient_version=OuterRef("patient__updated_at")
                )
            )
        )
        .values_list("pk", flat=True)
    )
    ids |= set(
        ConsultFact.objects.filter(
            referred=False,
            pk__in=Referral.objects.filter(
                updated_at__gte=since, consultation__isnull=False
            ).values("consultation_id"),
        ).values_list("pk", flat=True)
    )
    # A facility moved to another commune or province (rare: after a merger).
    ids |= set(
        Consultation.objects.filter(requester_facility__updated_at__gte=since)
        .exclude(status__in=NOT_COUNTED)
        .exclude(
            Exists(
                ConsultFact.objects.filter(
                    pk=OuterRef("pk"),
                    province_code=OuterRef("requester_facility__province__code"),
                    commune_code=OuterRef("requester_facility__commune__code"),
                )
            )
        )
        .values_list("pk", flat=True)
    )
    return ids


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    batch: list[int] = []
    for i in ids:
        batch.append(i)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _one_at_a_time(wait: bool) -> bool:
    """Take the refresh lock for the rest of the transaction (PostgreSQL releases it at commit
    or rollback); returns whether it was taken. On SQLite, whose writers queue anyway, there is
    nothing to take."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        return bool(cursor.fetchone()[0])


def refresh(
    *, full: bool = False, wait: bool = True, progress: Callable[[str], None] | None = None
) -> Refreshed:
    """Bring the facts up to date: what changed since the last refresh, or everything (also
    when no refresh was ever done), in one transaction. Refreshes run one at a time: a second
    one waits, or, with ``wait=False`` (the worker's task), returns at once with ``skipped``."""
    started = time.perf_counter()
    FactState.objects.get_or_create(pk=1)  # committed before the long transaction begins
    with transaction.atomic():
        if not _one_at_a_time(wait):
            return Refreshed(0, 0, 0.0, skipped=True)
        state = FactState.objects.get(pk=1)
        everything = full or state.watermark is None
        written, removed = _refresh_all(progress) if everything else _refresh_changed()
    if everything:
        # Outside the transaction, where VACUUM can run: index-only scans need it.
        refresh_planner_statistics(["monitoring_consultfact"], vacuum=True)
        refresh_planner_statistics(["monitoring_monthlyrollup"])
    return Refreshed(written, removed, time.perf_counter() - started)


def _refresh_all(progress: Callable[[str], None] | None) -> tuple[int, int]:
    now = timezone.now()
    state = FactState.objects.select_for_update().get(pk=1)
    written = removed = 0
    removed += ConsultFact.objects.filter(
        Q(pk__in=Consultation.objects.filter(status__in=NOT_COUNTED).values("pk"))
    ).delete()[0]
    ids = (
        Consultation.objects.exclude(status__in=NOT_COUNTED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    total = ids.count()
    for n, batch in enumerate(_chunks(ids.iterator(chunk_size=CHUNK)), start=1):
        w, r, _cells = _write(batch)
        written, removed = written + w, removed + r
        if progress and (n % 25 == 0 or written >= total):
            progress(f"{written:,} / {total:,} consultations")
    refresh_planner_statistics(["monitoring_consultfact"])  # the roll-ups read the facts
    rows = rollups.rebuild_all()
    if progress:
        progress(f"{rows:,} monthly roll-ups")
    # Changes committed while this ran are after the watermark: the next refresh takes them.
    state.watermark = state.refreshed_at = now
    state.save(update_fields=["watermark", "refreshed_at"])
    return written, removed


def _refresh_changed() -> tuple[int, int]:
    # This row stays locked until the refresh commits: readers see it and do not ask again.
    state = FactState.objects.select_for_update().get(pk=1)
    assert state.watermark is not None
    now = timezone.now()
    written = removed = 0
    cells: set[rollups.Cell] = set()
    for batch in _chunks(sorted(_changed_since(state.watermark - OVERLAP))):
        w, r, c = _write(batch)
        written, removed, cells = written + w, removed + r, cells | c
    rollups.rebuild(cells)
    state.watermark = state.refreshed_at = now
    state.save(update_fields=["watermark", "refreshed_at"])
    return written, removed
