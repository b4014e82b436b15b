"""Bulk generation of consultations for benchmarks (not for real use).

Patients (with consent), consultations, their submission events and diagnoses are built in
memory and written with multi-row INSERTs in batches, as ``scale_workers.py`` does; going through
the services would take hours for 200,000 rows. Routing is still the real rule: the hub of each
(station, specialty) is asked of ``routing.route`` once and cached. Timestamps spread over the
last twelve months in the proportions of a service that has run for a year: mostly closed, some
answered, assigned or waiting, a few overdue.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from vietnam_provinces.legacy import District, DistrictCode

from caunoi.codes.models import IcdCode
from caunoi.consults.models import (
    DEFAULT_DEADLINE_MINUTES,
    Consultation,
    ConsultationEvent,
    ConsultationEventKind,
    HubSettings,
    Status,
    Urgency,
)
from caunoi.consults.routing import route
from caunoi.core.planner_statistics import refresh_planner_statistics
from caunoi.core.text import fold
from caunoi.demo.consults import CASES, ETHNIC_MIX, HA_GIANG, MOBILE, MOUNTAIN, REGION, SOUTH, Case
from caunoi.demo.network import NameMaker, stable_uuid
from caunoi.demo.scale_patients import free_identifiers
from caunoi.network.models import Facility, FacilityKind, Membership, Role, Specialty
from caunoi.patients.ethnicity import ETHNIC_GROUPS
from caunoi.patients.models import (
    ConsentMethod,
    ConsentPurpose,
    Household,
    Patient,
    PatientConsent,
    Sex,
)

BATCH = 5000
PUBLIC_ID = "scale-consult-public"
OVERDUE = "overdue"  # waiting or assigned, no answer, deadline passed (escalated)


def _bag(mix: list[tuple[str, int]]) -> list[str]:
    """A list to draw from with ``rng.choice``: faster than ``rng.choices`` with weights."""
    return [value for value, weight in mix for _ in range(weight)]


SPECIALTIES = _bag(
    [
        ("internal-medicine", 35),
        ("paediatrics", 18),
        ("obstetrics-gynaecology", 12),
        ("cardiology", 10),
        ("dermatology", 8),
        ("infectious-diseases", 6),
        ("surgery", 5),
        ("imaging", 3),
        ("emergency", 3),
    ]
)
# A year of history: nearly everything is closed; what is still open is the last days' flow.
STATUSES = _bag(
    [
        (Status.CLOSED, 93),
        (Status.ANSWERED, 2),
        (Status.CANCELLED, 2),
        (Status.ASSIGNED, 1),
        (Status.SUBMITTED, 1),
        (OVERDUE, 1),
    ]
)
URGENCIES = _bag([(Urgency.ROUTINE, 75), (Urgency.URGENT, 20), (Urgency.EMERGENCY, 5)])
ETHNICITIES = {
    area: _bag([(f"{ETHNIC_GROUPS.index(name) + 1:02d}", share) for name, share in mix])
    for area, mix in ETHNIC_MIX.items()
}
TEMPERATURES = [Decimal(f"{t / 10:.1f}") for t in range(364, 395)]
PULSES = [Decimal(p) for p in range(64, 121)]
DAY = timedelta(days=1)


@dataclass(frozen=True)
class StationRow:
    facility: Facility
    commune_id: int
    area: str
    north: bool
    legacy_province: int
    workers: list[int]


@dataclass(frozen=True)
class Content:
    """A demo case's texts, filled in once (the per-row cost stays a reference)."""

    case: Case
    reason: str
    history: str
    icd_id: int | None


def _existing() -> int:
    """How many scale consultations exist. Their public ids are ``stable_uuid(PUBLIC_ID, n)``
    for n = 0, 1, 2…, so a search over the unique index finds the count in a few dozen
    lookups whatever the table size, with no marker column on real data."""

    def exists(n: int) -> bool:
        return Consultation.objects.filter(public_id=stable_uuid(PUBLIC_ID, n)).exists()

    if not exists(0):
        return 0
    low, high = 0, 1
    while exists(high):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if exists(middle):
            low = middle
        else:
            high = middle
    return high


class ScaleConsults:
    def __init__(self, start: int, history_days: float = 365) -> None:
        self.history = history_days  # how far back the closed and cancelled consults go
        self.rng = random.Random(f"scale-consults:{start}")
        self.names = NameMaker(f"scale-consults:{start}")
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.specialties = {s.code: s for s in Specialty.objects.filter(code__in=set(SPECIALTIES))}
        codes = dict(
            IcdCode.objects.filter(code__in={c.codes[0] for c in CASES}).values_list("code", "id")
        )
        context = {"days": 3, "weeks": 3, "months": 4, "years": 5, "hours": 2, "gestation": 30}
        self.contents: dict[str, list[Content]] = defaultdict(list)
        for case in CASES:
            self.contents[case.specialty].append(
                Content(
                    case=case,
                    reason=case.reason.format(**context),
                    history=case.history.format(**context),
                    icd_id=codes.get(case.codes[0]),
                )
            )
        self.stations = self._stations()
        self.hubs: dict[tuple[int, int], Facility | None] = {}
        self.specialists: dict[tuple[int, int], list[int]] = defaultdict(list)
        for hub_id, specialty_id, user_id in (
            Membership.objects.active()
            .filter(role=Role.SPECIALIST, facility__is_hub=True, specialties__isnull=False)
            .order_by("user_id")
            .values_list("facility_id", "specialties__id", "user_id")
        ):
            self.specialists[(hub_id, specialty_id)].append(user_id)
        self.minutes = {
            (row.hub_id, urgency): row.minutes_for(urgency)
            for row in HubSettings.objects.all()
            for urgency in Urgency.values
        }

    def _stations(self) -> list[StationRow]:
        workers: dict[int, list[int]] = defaultdict(list)
        for facility_id, user_id in (
            Membership.objects.active()
            .filter(role=Role.WORKER, facility__kind=FacilityKind.STATION)
            .order_by("user_id")
            .values_list("facility_id", "user_id")
        ):
            workers[facility_id].append(user_id)
        rows = []
        facilities = (
            Facility.objects.active()
            .filter(kind=FacilityKind.STATION, commune__isnull=False)
            .select_related("province", "commune")
            .order_by("code")
        )
        for f in facilities:
            if not workers[f.pk]:
                continue
            province = f.province
            legacy = province.legacy_codes[0] if province.legacy_codes else province.code
            assert f.commune is not None  # filtered above
            districts = f.commune.legacy_district_codes
            if districts:
                legacy = District.from_code(DistrictCode(districts[0])).province_code
            region = REGION.get(province.code, "delta")
            rows.append(
                StationRow(
                    facility=f,
                    commune_id=f.commune.pk,
                    area="ha_giang" if legacy == HA_GIANG else region,
                    north=region == MOUNTAIN,
                    legacy_province=int(legacy),
                    workers=workers[f.pk],
                )
            )
        return rows

    def route_all(self) -> int:
        """Ask the real routing rule once per (station, specialty); rows then look it up."""
        for station in self.stations:
            for specialty in self.specialties.values():
                self.hubs[(station.facility.pk, specialty.pk)] = route(station.facility, specialty)
        return len(self.hubs)

    def hub(self, station: StationRow, specialty: Specialty) -> Facility | None:
        return self.hubs[(station.facility.pk, specialty.pk)]

    def deadline(self, hub_id: int, urgency: str) -> timedelta:
        minutes = self.minutes.get((hub_id, urgency)) or DEFAULT_DEADLINE_MINUTES[Urgency(urgency)]
        return timedelta(minutes=minutes)

    def birth(self, case: Case) -> tuple[date, int]:
        low, high = case.ages
        if high < 6:
            born = self.today - timedelta(
                days=self.rng.randint(max(low * 365, 20), (high + 1) * 365 - 10)
            )
            return born, (self.today - born).days // 365
        age = self.rng.randint(low, high)
        return date(self.today.year - age, self.rng.randint(1, 12), self.rng.randint(1, 28)), age

    def build(
        self, n: int
    ) -> tuple[Patient, PatientConsent, Consultation, ConsultationEvent, int | None]:
        rng = self.rng
        # Every number gets its row (the count of existing rows relies on it): a station with
        # no hub for the specialty drawn simply draws again.
        for _attempt in range(100):
            station = rng.choice(self.stations)
            specialty = self.specialties[rng.choice(SPECIALTIES)]
            hub = self.hub(station, specialty)
            if hub is not None:
                break
        else:
            raise ValueError(
                "No support link routes the stations' consultations: check the network."
            )
        content = rng.choice(self.contents[specialty.code])
        case = content.case
        requester = rng.choice(station.workers)

        # The patient.
        sex = case.sex or (Sex.FEMALE if rng.random() < 0.55 else Sex.MALE)
        full_name = self.names.person(north=station.north, female=sex == Sex.FEMALE)
        born, age = self.birth(case)
        ethnicity = rng.choice(ETHNICITIES[station.area])
        roll = rng.random()
        household = Household.POOR if roll < 0.12 else Household.NEAR_POOR if roll < 0.22 else ""
        digit = (2 if born.year >= 2000 else 0) + (1 if sex == Sex.FEMALE else 0)
        if age < 6:
            group = "TE1"
        elif household == Household.POOR:
            group = "HN2"
        elif household == Household.NEAR_POOR:
            group = "CN3"
        elif age >= 60:
            group = "HT3"
        else:
            group = "GD4"
        patient = Patient(
            public_id=stable_uuid("scale-patient-public", n),
            facility_id=station.facility.pk,
            full_name=full_name,
            search_name=fold(full_name),  # bulk_create skips save(), which fills it
            sex=sex,
            birth_date=born,
            citizen_id=f"{station.legacy_province:03d}{digit}{born.year % 100:02d}{n % 1_000_000:06d}",
            insurance_number=f"{group}{station.legacy_province:02d}{n % 10**10:010d}",
            phone=f"+84{rng.choice(MOBILE)}{n % 10**7:07d}" if rng.random() < 0.75 else "",
            commune_id=station.commune_id,
            address=f"{'Ấp' if station.area == SOUTH else 'Thôn'} {n % 14 + 1}",
            ethnicity=ethnicity,
            household=household,
            registered_by_id=requester,
            client_id=stable_uuid("scale-patient", n),
        )

        # The consultation and its timeline.
        status = rng.choice(STATUSES)
        urgency = rng.choice(URGENCIES)
        due = self.deadline(hub.pk, urgency)
        pace = min(due, timedelta(hours=4))
        now = self.now
        specialist: int | None = None
        assigned = first = escalated = answered = closed = None
        if status == Status.SUBMITTED:
            t0 = now - due * rng.uniform(0.05, 0.9)
        elif status == Status.ASSIGNED:
            t0 = now - due * rng.uniform(0.1, 0.9)
            assigned = t0 + (now - t0) * rng.uniform(0.1, 0.5)
            if rng.random() < 0.6:
                first = assigned + (now - assigned) * rng.uniform(0.1, 0.9)
        elif status == OVERDUE:
            t0 = now - due * rng.uniform(1.2, 4.0)
            escalated = t0 + due + timedelta(minutes=2)
            if rng.random() < 0.4:
                assigned = t0 + due * rng.uniform(0.1, 0.9)
        elif status == Status.CANCELLED:
            t0 = now - DAY * rng.uniform(min(1, self.history / 2), self.history)
            closed = t0 + pace * rng.uniform(0.05, 0.5)
        else:
            t0 = now - (
                DAY * rng.uniform(min(0.5, self.history / 2), min(10, self.history))
                if status == Status.ANSWERED
                else DAY * rng.uniform(min(3, self.history / 2), self.history)
            )
            if rng.random() < 0.12:
                escalated = t0 + due + timedelta(minutes=2)
                first = escalated + pace * rng.uniform(0.2, 1.5)
            else:
                first = t0 + due * rng.uniform(0.05, 0.8)
            assigned = t0 + (first - t0) * rng.uniform(0.1, 0.6)
            answered = first if rng.random() < 0.5 else first + pace * rng.uniform(0.2, 2)
            if status == Status.CLOSED:
                closed = answered + timedelta(hours=rng.uniform(1, 96))
            latest = closed or answered
            if latest > now:
                shift = latest - now + timedelta(minutes=5)
                t0, assigned, first, answered = (
                    t0 - shift,
                    assigned - shift,
                    first - shift,
                    answered - shift,
                )
                escalated = escalated - shift if escalated else None
                closed = closed - shift if closed else None
        row_status = status
        if status == OVERDUE:
            row_status = Status.ASSIGNED if assigned else Status.SUBMITTED
        if assigned is not None:
            people = self.specialists.get((hub.pk, specialty.pk))
            specialist = rng.choice(people) if people else None
        consultation = Consultation(
            public_id=stable_uuid(PUBLIC_ID, n),
            client_id=stable_uuid("scale-consult", n),
            requester_id=requester,
            requester_facility_id=station.facility.pk,
            patient=patient,
            specialty=specialty,
            urgency=urgency,
            status=row_status,
            reason=content.reason,
            history=content.history,
            examination=case.examination,
            current_treatment=case.treatment,
            question=case.question,
            temperature=rng.choice(TEMPERATURES),
            pulse=rng.choice(PULSES),
            hub=hub,
            specialist_id=specialist,
            submitted_at=t0,
            deadline_at=t0 + due,
            assigned_at=assigned,
            first_response_at=first,
            escalated_at=escalated,
            answered_at=answered,
            closed_at=closed,
            advice=case.advice if answered else "",
            recommended_outcome=case.outcome if answered else "",
            action_taken=case.action if status == Status.CLOSED else "",
        )
        consent = PatientConsent(
            patient=patient,
            purpose=ConsentPurpose.TELECONSULTATION,
            method=ConsentMethod.VERBAL if rng.random() < 0.6 else ConsentMethod.WRITTEN,
            given_by="Mẹ của trẻ" if age < 6 else "",
            given_at=t0 - timedelta(minutes=10),
            recorded_by_id=requester,
        )
        event = ConsultationEvent(
            consultation=consultation,
            kind=ConsultationEventKind.SUBMITTED,
            actor_id=requester,
            at=t0,
        )
        return patient, consent, consultation, event, content.icd_id if answered else None

    def write(self, start: int, end: int) -> int:
        built = [self.build(n) for n in range(start, end)]
        patients = [b[0] for b in built]
        rows: list[dict[str, object]] = [
            {
                "facility_id": p.facility_id,
                "citizen_id": p.citizen_id,
                "insurance_number": p.insurance_number,
            }
            for p in patients
        ]
        free_identifiers(rows)  # one person, one record per facility: never a clash
        for p, row in zip(patients, rows, strict=True):
            p.citizen_id, p.insurance_number = str(row["citizen_id"]), str(row["insurance_number"])
        consents = [b[1] for b in built]
        consultations = [b[2] for b in built]
        events = [b[3] for b in built]
        with transaction.atomic():
            Patient.objects.bulk_create(patients, batch_size=BATCH)
            for consent in consents:
                consent.patient_id = consent.patient.pk
            for c in consultations:
                c.patient_id = c.patient.pk
            PatientConsent.objects.bulk_create(consents, batch_size=BATCH)
            Consultation.objects.bulk_create(consultations, batch_size=BATCH)
            for e in events:
                e.consultation_id = e.consultation.pk
            ConsultationEvent.objects.bulk_create(events, batch_size=BATCH)
            through = Consultation.diagnoses.through
            diagnoses = [
                through(consultation_id=c.pk, icdcode_id=icd_id)
                for (_p, _s, c, _e, icd_id) in built
                if icd_id is not None
            ]
            through.objects.bulk_create(diagnoses, batch_size=BATCH)
            # created_at/updated_at are auto_now fields, which bulk_create sets to "now" whatever
            # the object holds: move them to the planned times with one UPDATE per table. The
            # ids of one batch are contiguous because nothing else writes during a benchmark load.
            low, high = consultations[0].pk, consultations[-1].pk
            Consultation.objects.filter(pk__gte=low, pk__lte=high).update(
                created_at=ExpressionWrapper(
                    F("submitted_at") - Value(timedelta(minutes=15)), output_field=DateTimeField()
                ),
                updated_at=Coalesce(
                    "closed_at",
                    "answered_at",
                    "escalated_at",
                    "first_response_at",
                    "assigned_at",
                    "submitted_at",
                ),
            )
            submitted = Consultation.objects.filter(patient_id=OuterRef("pk")).values(
                "submitted_at"
            )[:1]
            registered = ExpressionWrapper(
                Subquery(submitted) - Value(timedelta(minutes=20)), output_field=DateTimeField()
            )
            Patient.objects.filter(pk__gte=patients[0].pk, pk__lte=patients[-1].pk).update(
                created_at=registered, updated_at=registered
            )
        return len(patients) + len(consents) + len(consultations) + len(events) + len(diagnoses)


def scale_consults_load(
    *, count: int, progress: Callable[[str], None] | None = None, history_days: float = 365
) -> float:
    """Add ``count`` patients with consent and ``count`` consultations over the active stations,
    continuing the numbering of earlier calls, submitted over the last ``history_days`` (a
    consult answered or closed later than now moves back, so a few start a little earlier).
    Returns rows written per second."""
    say = progress or (lambda _message: None)
    start = _existing()
    loader = ScaleConsults(start, history_days)
    if not loader.stations:
        raise ValueError("Load the demo network first: there are no staffed stations.")
    routing = time.perf_counter()
    pairs = loader.route_all()
    say(f"routing: {pairs:,} (station, specialty) pairs in {time.perf_counter() - routing:.1f} s")
    started = time.perf_counter()
    written = 0
    for batch_start in range(start, start + count, BATCH):
        batch_end = min(batch_start + BATCH, start + count)
        written += loader.write(batch_start, batch_end)
        elapsed = time.perf_counter() - started
        say(f"{batch_end - start:,}/{count:,} consultations, {written / elapsed:,.0f} rows/s")
    rate = written / max(time.perf_counter() - started, 1e-9)
    refresh_planner_statistics(
        ["patients_patient", "consults_consultation", "consults_consultationevent"]
    )
    return rate
