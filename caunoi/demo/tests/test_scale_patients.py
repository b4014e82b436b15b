import pytest

from caunoi.demo.network import stable_uuid
from caunoi.demo.scale_patients import scale_patients_load
from caunoi.patients.identifiers import citizen_id_clean, insurance_clean
from caunoi.patients.models import Patient
from caunoi.patients.services import has_consent

# Demo facts: the registry of the demo network (or its generators).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_network")]


def test_scale_patients_are_valid_consented_and_continue_their_numbering():
    scale_patients_load(count=30)
    scale_patients_load(count=20)
    made = Patient.objects.filter(address__startswith="scale-patient ").order_by("id")
    assert made.count() == 50
    assert [p.public_id for p in made[:2]] == [
        stable_uuid("scale-patient", 0),
        stable_uuid("scale-patient", 1),
    ]
    last = made.last()
    assert last is not None
    assert last.public_id == stable_uuid("scale-patient", 49)
    for patient in made:
        assert citizen_id_clean(patient.citizen_id) == patient.citizen_id
        assert insurance_clean(patient.insurance_number) == patient.insurance_number
        assert patient.facility.kind == "station"
        assert patient.commune_id == patient.facility.commune_id
    assert all(has_consent(p) for p in made[:5])


def test_a_generated_identifier_a_facility_already_holds_is_left_out_not_doubled(worker):
    from caunoi.demo.scale_patients import free_identifiers
    from caunoi.patients.tests.factories import make_patient

    held = make_patient(worker, citizen_id="008060001234", insurance_number="HN2080123456789")
    rows: list[dict[str, object]] = [
        # the same person's numbers at the same station: both dropped
        {
            "facility_id": held.facility_id,
            "citizen_id": "008060001234",
            "insurance_number": "GD4080123456789",
        },
        # at another facility the same numbers are that facility's own record: kept
        {
            "facility_id": held.facility_id + 1,
            "citizen_id": "008060001234",
            "insurance_number": "HN2080123456789",
        },
        # twice in one batch: the second loses it
        {"facility_id": held.facility_id, "citizen_id": "008060009999", "insurance_number": ""},
        {"facility_id": held.facility_id, "citizen_id": "008060009999", "insurance_number": ""},
    ]
    assert free_identifiers(rows) == 3
    assert [(r["citizen_id"], r["insurance_number"]) for r in rows] == [
        ("", ""),
        ("008060001234", "HN2080123456789"),
        ("008060009999", ""),
        ("", ""),
    ]
