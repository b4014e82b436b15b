"""Bulk generation of patients for benchmarks (`caunoi seed --patients N`).

On PostgreSQL the rows go in with COPY (ids drawn from the table's sequence first, so the
consents can point at their patients without reading anything back); elsewhere with
bulk_create. Deterministic: the same numbers give the same people.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models.functions import Substr
from django.utils import timezone

from caunoi.core.text import fold
from caunoi.demo.network import NameMaker, stable_uuid
from caunoi.network.models import FacilityKind, Membership, Role
from caunoi.patients.models import ConsentMethod, ConsentPurpose, Patient, PatientConsent

BATCH = 10_000
ETHNICITIES = ["01"] * 6 + ["02", "03", "06", "07", "08", "09"]
HOUSEHOLDS = [""] * 8 + ["poor", "near_poor"]

PATIENT_COLUMNS = [
    "id", "created_at", "updated_at", "public_id", "facility_id", "full_name", "search_name", "sex",
    "birth_date", "birth_date_estimated", "citizen_id", "insurance_number", "phone", "commune_id",
    "address", "ethnicity", "household", "has_disability", "registered_by_id",
    "identifier_conflict",
]  # fmt: skip
CONSENT_COLUMNS = [
    "public_id", "patient_id", "purpose", "method", "given_by", "given_at", "recorded_by_id",
]  # fmt: skip


def _stations() -> list[tuple[int, int, int]]:
    """(facility id, commune id, a worker's user id) for every staffed active station."""
    rows = (
        Membership.objects.active()
        .filter(role=Role.WORKER, facility__kind=FacilityKind.STATION, facility__status="active")
        .order_by("facility_id", "id")
        .values_list("facility_id", "facility__commune_id", "user_id")
    )
    seen: dict[int, tuple[int, int, int]] = {}
    for facility_id, commune_id, user_id in rows:
        seen.setdefault(facility_id, (facility_id, commune_id, user_id))
    return list(seen.values())


def _person(n: int, names: NameMaker, rng: random.Random, today: date) -> dict[str, object]:
    female = rng.random() < 0.52
    born = today - timedelta(days=rng.randint(0, 90 * 365))
    digit = (0 if born.year < 2000 else 2) + (1 if female else 0)
    province = rng.choice([2, 8, 19, 20, 46, 40, 51])
    return {
        "full_name": names.person(female=female, north=province in (2, 8, 20)),
        "sex": "female" if female else "male",
        "birth_date": born,
        "citizen_id": f"{province:03d}{digit}{born.year % 100:02d}{n % 1_000_000:06d}",
        "insurance_number": f"GD4{province:02d}{n % 10**10:010d}",
        "phone": f"+849{n % 10**8:08d}",
        "ethnicity": rng.choice(ETHNICITIES),
        "household": rng.choice(HOUSEHOLDS),
        "has_disability": rng.random() < 0.03,
    }


def scale_patients_load(*, count: int, progress: Callable[[str], None] | None = None) -> float:
    """Add ``count`` patients, each with an active consent, over the demo stations. Returns
    rows written per second (patients + consents)."""
    say = progress or (lambda _message: None)
    stations = _stations()
    if not stations:
        raise ValueError("Load the demo network first: there are no staffed stations.")
    start = Patient.objects.filter(address__startswith="scale-patient ").count()
    names = NameMaker(f"scale-patients:{start}")
    rng = random.Random(f"scale-patients:{start}")
    today = timezone.localdate()
    now = timezone.now()
    started = time.perf_counter()
    written = 0
    postgres = connection.vendor == "postgresql"
    for batch_start in range(start, start + count, BATCH):
        batch_end = min(batch_start + BATCH, start + count)
        people = []
        for n in range(batch_start, batch_end):
            facility_id, commune_id, user_id = stations[n % len(stations)]
            person = _person(n, names, rng, today)
            person.update(
                public_id=stable_uuid("scale-patient", n),
                facility_id=facility_id,
                commune_id=commune_id,
                registered_by_id=user_id,
                address=f"scale-patient {n}",
            )
            people.append(person)
        free_identifiers(people)
        with transaction.atomic():
            if postgres:
                _copy(people, now)
            else:
                _bulk(people, now)
        written += 2 * len(people)
        say(
            f"{batch_end - start:,}/{count:,} patients, {written / (time.perf_counter() - started):,.0f} rows/s"
        )
    rate = written / max(time.perf_counter() - started, 1e-9)
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute('ANALYZE "patients_patient"')
            cursor.execute('ANALYZE "patients_patientconsent"')
    return rate


def _copy(people: list[dict[str, object]], now: datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('patients_patient', 'id')) FROM generate_series(1, %s)",
            [len(people)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY patients_patient ({', '.join(PATIENT_COLUMNS)}) FROM STDIN") as copy:
            for pk, p in zip(ids, people, strict=True):
                copy.write_row(
                    [
                        pk, now, now, p["public_id"], p["facility_id"], p["full_name"],
                        fold(str(p["full_name"])), p["sex"], p["birth_date"], False, p["citizen_id"],
                        p["insurance_number"], p["phone"], p["commune_id"], p["address"],
                        p["ethnicity"], p["household"], p["has_disability"], p["registered_by_id"],
                        False,
                    ]
                )  # fmt: skip
        with raw.copy(
            f"COPY patients_patientconsent ({', '.join(CONSENT_COLUMNS)}) FROM STDIN"
        ) as copy:
            for pk, p in zip(ids, people, strict=True):
                copy.write_row(
                    [
                        uuid.uuid5(p["public_id"], "consent"),  # type: ignore[arg-type]
                        pk, ConsentPurpose.TELECONSULTATION.value, ConsentMethod.VERBAL.value, "",
                        now, p["registered_by_id"],
                    ]
                )  # fmt: skip


def free_identifiers(people: list[dict[str, object]]) -> int:
    """Generated people keep their numbers apart by construction, but two loaders (this one
    and ``seed --consults``) or a very long run can draw a citizen ID or a social-insurance
    number that a record of the same facility already holds — which the database refuses (one
    person, one record per facility). Such a person is written without that identifier, as
    many people are registered. ``people`` are rows with ``facility_id``, ``citizen_id`` and
    ``insurance_number``, changed in place; answers how many identifiers were dropped."""
    facilities = {int(str(p["facility_id"])) for p in people}
    citizen_ids = [str(p["citizen_id"]) for p in people if p["citizen_id"]]
    numbers = [str(p["insurance_number"])[5:] for p in people if p["insurance_number"]]
    held = Patient.objects.filter(facility_id__in=facilities, identifier_conflict=False)
    taken_ids: set[tuple[int, str]] = set(
        held.filter(citizen_id__in=citizen_ids).values_list("facility_id", "citizen_id")
    )
    taken_numbers: set[tuple[int, str]] = set(
        held.exclude(insurance_number="")
        .annotate(number=Substr("insurance_number", 6))
        .filter(number__in=numbers)
        .values_list("facility_id", "number")
    )
    dropped = 0
    for p in people:
        facility = int(str(p["facility_id"]))
        citizen = (facility, str(p["citizen_id"]))
        if p["citizen_id"] and citizen in taken_ids:
            p["citizen_id"] = ""
            dropped += 1
        taken_ids.add(citizen)
        number = (facility, str(p["insurance_number"])[5:])
        if p["insurance_number"] and number in taken_numbers:
            p["insurance_number"] = ""
            dropped += 1
        taken_numbers.add(number)
    return dropped


def _bulk(people: list[dict[str, object]], now: datetime) -> None:
    patients = [Patient(search_name=fold(str(p["full_name"])), **p) for p in people]
    Patient.objects.bulk_create(patients, batch_size=2000)
    PatientConsent.objects.bulk_create(
        [
            PatientConsent(
                patient=patient,
                purpose=ConsentPurpose.TELECONSULTATION,
                method=ConsentMethod.VERBAL,
                given_at=now,
                recorded_by_id=patient.registered_by_id,
            )
            for patient in patients
        ],
        batch_size=2000,
    )
