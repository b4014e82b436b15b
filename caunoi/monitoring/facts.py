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

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from caunoi.consults.models import Consultation, Status
from caunoi.consults.scale import refresh_planner_statistics
from caunoi.monitoring import rollups
from caunoi.monitoring.indicators import _age_band, _groups, _minutes
from caunoi.monitoring.models import ConsultFact, FactState
from caunoi.monitoring.periods import TZ
from caunoi.referrals.models import Referral

OVERLAP = timedelta(minutes=10)
CHUNK = 2000
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


def _local_day(moment: datetime | None) -> Any:
    return moment.astimezone(TZ).date() if moment else None


def _fact(row: dict[str, Any], referred: bool) -> ConsultFact:
    band = _age_band(row["patient__birth_date"], row["submitted_at"])
    groups = set(
        _groups(
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
        response_minutes=_minutes(row["submitted_at"], row["first_response_at"]),
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


def refresh(*, full: bool = False, progress: Callable[[str], None] | None = None) -> Refreshed:
    """Bring the facts up to date: what changed since the last refresh, or everything."""
    started = time.perf_counter()
    now = timezone.now()
    state = FactState.objects.first()
    if full or state is None or state.watermark is None:
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
            with transaction.atomic():
                w, r, _cells = _write(batch)
            written, removed = written + w, removed + r
            if progress and (n % 25 == 0 or written >= total):
                progress(f"{written:,} / {total:,} consultations")
        refresh_planner_statistics(["monitoring_consultfact"], vacuum=True)
        with transaction.atomic():
            rows = rollups.rebuild_all()
        if progress:
            progress(f"{rows:,} monthly roll-ups")
        refresh_planner_statistics(["monitoring_monthlyrollup"])
        with transaction.atomic():
            state = FactState.objects.select_for_update().filter(pk=1).first() or FactState(pk=1)
            state.watermark = state.refreshed_at = now
            state.save()
        return Refreshed(written, removed, time.perf_counter() - started)
    with transaction.atomic():
        # One refresh at a time; one that waited here for another finds little left to do.
        state = FactState.objects.select_for_update().get(pk=state.pk)
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
    return Refreshed(written, removed, time.perf_counter() - started)


def ensure_fresh() -> None:
    """Before a read: keep the facts at most ``MONITORING_FACTS_MAX_AGE`` seconds old without
    making the reader wait for it. Older than that, the read is served from what is there and a
    refresh is asked of the task worker, once per period (stale while revalidating). With no
    refresh ever done, or a maximum age of 0 (always exact, as the tests run), the read
    refreshes first."""
    max_age = timedelta(seconds=settings.MONITORING_FACTS_MAX_AGE)
    state = FactState.objects.only("refreshed_at", "requested_at").first()
    if not max_age or state is None or state.refreshed_at is None:
        refresh()
        return
    now = timezone.now()
    if now - state.refreshed_at < max_age:
        return
    asked = (
        FactState.objects.filter(pk=state.pk)
        .filter(Q(requested_at__isnull=True) | Q(requested_at__lt=now - max_age))
        .update(requested_at=now)
    )
    if asked:  # only the one read that marked the request enqueues it
        from caunoi.monitoring.tasks import indicators_refresh

        transaction.on_commit(indicators_refresh.enqueue)
