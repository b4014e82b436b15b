"""The consultation's summary as Observations: each vital sign with its LOINC code and UCUM
unit (blood pressure as one panel), the written parts as narratives, listed by the
ServiceRequest's supportingInfo; a consultation asked over FHIR with its vital signs as contained
Observations, bounded as the form bounds them; the clinical types' history since a moment."""

import json
import uuid

import pytest
from django.utils import timezone

from caunoi.audit.models import AuditEvent
from caunoi.consults.models import Consultation
from caunoi.consults.services import consultation_claim
from caunoi.fhir.tests.test_clinical import BASE, FHIR, case, client_of, get, matches
from caunoi.fhir.tests.validators import assert_valid

pytestmark = pytest.mark.django_db
__all__ = ["case"]  # the fixture, shared


def test_a_consultations_vital_signs_and_summary_read_as_observations(case, worker):
    client = client_of(worker)
    consult = case["consult"]  # summary(): 38.4 °C, pulse 96, 118/76 mmHg, SpO2 96 %
    request = get(client, f"ServiceRequest/{consult.public_id}")
    listed = [s["reference"] for s in request["supportingInfo"]]
    keys = [r.removeprefix(f"Observation/{consult.public_id}-") for r in listed]
    assert keys == [
        "temperature",
        "pulse",
        "blood-pressure",
        "spo2",
        "history",
        "examination",
        "current-treatment",
    ]
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    found = get(client, "Observation", {"based-on": f"ServiceRequest/{consult.public_id}"})
    by_key = {r["id"].removeprefix(f"{consult.public_id}-"): r for r in matches(found)}
    assert sorted(by_key) == sorted(keys)
    audited = AuditEvent.objects.filter(id__gt=before, action="view").get()
    assert audited.detail["patients"] == [str(case["patient"].public_id)]
    temperature = by_key["temperature"]
    assert temperature["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "8310-5",
        "display": "Body temperature",
    }
    assert temperature["valueQuantity"] == {
        "value": 38.4,
        "unit": "°C",
        "system": "http://unitsofmeasure.org",
        "code": "Cel",
    }
    assert by_key["spo2"]["valueQuantity"]["value"] == 96
    assert isinstance(by_key["spo2"]["valueQuantity"]["value"], int)
    pressure = by_key["blood-pressure"]
    assert "valueQuantity" not in pressure
    assert [
        (c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in pressure["component"]
    ] == [("8480-6", 118), ("8462-4", 76)]
    assert by_key["examination"]["valueString"] == "Phổi ran ẩm đáy phải"
    assert by_key["examination"]["category"][0]["coding"][0]["code"] == "exam"
    assert "category" not in by_key["history"]
    for body in by_key.values():
        assert body["subject"]["reference"] == f"Patient/{case['patient'].public_id}"
        assert body["status"] == "final"
        assert body["performer"][0]["reference"] == f"Practitioner/{worker.public_id}"
    read = get(client, f"Observation/{consult.public_id}-blood-pressure")
    assert read == pressure
    vitals = matches(
        get(
            client,
            "Observation",
            {"patient": str(case["patient"].public_id), "category": "vital-signs"},
        )
    )
    assert len(vitals) == 4
    only_spo2 = matches(get(client, "Observation", {"code": "59408-5"}))
    assert [r["id"] for r in only_spo2] == [f"{consult.public_id}-spo2"]
    # Items left empty make no Observation: no respiratory rate, weight, height or glucose.
    for key in ("respiratory-rate", "weight", "height", "glucose", "nonsense"):
        get(client, f"Observation/{consult.public_id}-{key}", status=404)
    get(client, f"Observation/{consult.public_id}", status=404)
    assert_valid(request, found, read)


def _ask(patient, *contained, key=None, priority="urgent"):
    return {
        "resourceType": "ServiceRequest",
        "identifier": [
            {"system": "https://fhir.caunoi.vn/sid/client-id", "value": key or str(uuid.uuid4())}
        ],
        "contained": list(contained),
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"code": "teleconsultation"}]}],
        "code": {"coding": [{"code": "internal-medicine"}]},
        "priority": priority,
        "subject": {"reference": f"Patient/{patient.public_id}"},
        "supportingInfo": [{"reference": f"#{o['id']}"} for o in contained],
        "reasonCode": [{"text": "Khó thở"}],
        "note": [{"text": "Có cần chuyển viện không?"}],
    }


def _vital(ident, code, value, unit, **extra):
    return {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "valueQuantity": {"value": value, "system": "http://unitsofmeasure.org", "code": unit},
        **extra,
    }


PRESSURE = {
    "resourceType": "Observation",
    "id": "bp",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
    "component": [
        {
            "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
            "valueQuantity": {"value": 95, "system": "http://unitsofmeasure.org", "code": "mm[Hg]"},
        },
        {
            "code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
            "valueQuantity": {"value": 60, "system": "http://unitsofmeasure.org", "code": "mm[Hg]"},
        },
    ],
}
HISTORY = {
    "resourceType": "Observation",
    "id": "hx",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "10164-2"}]},
    "valueString": "Khó thở tăng dần 2 ngày",
}


def test_a_consultation_asked_over_fhir_carries_its_vital_signs(case, worker):
    client = client_of(worker)
    patient = case["patient"]
    vitals = (
        _vital("sat", "59408-5", 88, "%"),
        _vital("rr", "9279-2", 32, "/min"),
        _vital("t", "8310-5", 38.5, "Cel"),
        PRESSURE,
        HISTORY,
    )
    # SpO2 88 % is a danger sign (caunoi/triage): "urgent" is refused, and nothing is saved.
    refused = client.post(
        f"{BASE}/ServiceRequest", json.dumps(_ask(patient, *vitals)), content_type=FHIR
    )
    assert refused.status_code == 422
    assert "cấp cứu" in refused.json()["issue"][0]["diagnostics"]
    assert not Consultation.objects.filter(spo2=88).exists()
    body = _ask(patient, *vitals, priority="stat")
    assert_valid(body)  # what a client sends is valid R4 too
    made = client.post(f"{BASE}/ServiceRequest", json.dumps(body), content_type=FHIR)
    assert made.status_code == 201, made.content
    asked = Consultation.objects.get(public_id=made.json()["id"])
    assert (str(asked.spo2), str(asked.respiratory_rate), str(asked.temperature)) == (
        "88",
        "32",
        "38.5",
    )
    assert (str(asked.systolic), str(asked.diastolic)) == ("95", "60")
    assert asked.history == "Khó thở tăng dần 2 ngày"
    assert len(made.json()["supportingInfo"]) == 5
    back = get(client, f"Observation/{asked.public_id}-spo2")
    assert back["valueQuantity"]["value"] == 88
    assert_valid(made.json(), back)


@pytest.mark.parametrize(
    ("contained", "status"),
    [
        ((_vital("sat", "59408-5", 150, "%"),), 422),  # above what a living patient has
        ((_vital("t", "8310-5", 38.5, "[degF]"),), 422),  # another unit
        ((_vital("x", "1234-5", 1, "%"),), 422),  # not a code of the summary
        ((_vital("t", "8310-5", "hot", "Cel"),), 400),  # not a number
        ((_vital("t", "8310-5", True, "Cel"),), 400),
        ((_vital("t", "8310-5", 38, "Cel"), _vital("u", "8310-5", 39, "Cel")), 422),  # twice
        (({**HISTORY, "valueString": 12},), 422),
        (({"resourceType": "Patient", "id": "p"},), 422),
    ],
)
def test_a_wrong_vital_sign_is_refused_and_changes_nothing(case, worker, contained, status):
    client = client_of(worker)
    before = Consultation.objects.count()
    answer = client.post(
        f"{BASE}/ServiceRequest", json.dumps(_ask(case["patient"], *contained)), content_type=FHIR
    )
    assert answer.status_code == status, answer.content
    assert answer.json()["resourceType"] == "OperationOutcome"
    assert Consultation.objects.count() == before


def test_a_contained_observation_not_pointed_to_is_refused(case, worker):
    body = _ask(case["patient"], HISTORY)
    body["supportingInfo"] = []
    answer = client_of(worker).post(f"{BASE}/ServiceRequest", json.dumps(body), content_type=FHIR)
    assert answer.status_code == 422
    assert "supportingInfo" in answer.json()["issue"][0]["diagnostics"]


def test_the_clinical_types_give_what_changed_since_a_moment(case, worker, specialist):
    client = client_of(specialist)
    consult = case["consult"]
    since = timezone.now().isoformat()
    for kind in ("Task", "ServiceRequest", "Observation", "Patient"):
        assert get(client, f"{kind}/_history", {"_since": since}).get("entry", []) == []
    consult_row = Consultation.objects.get(pk=consult.pk)
    consultation_claim(consultation=consult_row, actor=specialist)
    changed = get(client, "Task/_history", {"_since": since})
    assert changed["type"] == "history"
    [entry] = changed["entry"]
    assert entry["resource"]["id"] == str(consult.public_id)
    assert entry["resource"]["status"] == "accepted"
    assert entry["response"]["etag"] == f'W/"{entry["resource"]["meta"]["versionId"]}"'
    observations = get(client, "Observation/_history", {"_since": since})
    assert len(observations["entry"]) == 7
    assert_valid(changed, observations)
