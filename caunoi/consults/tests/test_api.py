import uuid

import pytest

from caunoi.audit.models import AuditEvent
from caunoi.consults.models import Consultation, Status
from caunoi.consults.tests.factories import jpeg_bytes, summary
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db


def _body(patient, **overrides):
    return {
        "patient": str(patient.public_id),
        "specialty": "internal-medicine",
        "urgency": "urgent",
        **summary(),
        **overrides,
    }


def test_api_creates_a_consult_once_per_idempotency_key(worker, api_client):
    patient = make_patient(worker)
    client = api_client(worker)
    key = str(uuid.uuid4())
    first = client.post(
        "/api/consults",
        _body(patient),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )
    again = client.post(
        "/api/consults",
        _body(patient),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )
    assert first.status_code == 201
    assert again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["hub"]["name"] == "Bệnh viện Trung ương Huế"
    assert first.json()["status"] == "submitted"
    assert Consultation.objects.filter(patient=patient).count() == 1


def test_api_requires_the_idempotency_key(worker, api_client):
    patient = make_patient(worker)
    response = api_client(worker).post(
        "/api/consults", _body(patient), content_type="application/json"
    )
    assert response.status_code == 422
    assert any(e["field"] == "Idempotency-Key" for e in response.json()["errors"])
    assert not Consultation.objects.filter(patient=patient).exists()


def test_api_refuses_unknown_fields_and_impossible_vitals(worker, api_client):
    patient = make_patient(worker)
    client = api_client(worker)
    unknown = client.post(
        "/api/consults",
        _body(patient, colour="blue"),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert unknown.status_code == 422
    assert {"field": "colour", "message": unknown.json()["errors"][0]["message"]} in unknown.json()[
        "errors"
    ]
    hot = client.post(
        "/api/consults",
        _body(patient, temperature="60"),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert hot.status_code == 422
    assert hot.json()["errors"][0]["field"] == "temperature"
    bp = client.post(
        "/api/consults",
        _body(patient, systolic="80", diastolic="120"),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert bp.status_code == 422
    assert not Consultation.objects.filter(patient=patient).exists()


def test_api_queues_and_the_whole_exchange(worker, specialist, api_client):
    patient = make_patient(worker)
    w, s = api_client(worker), api_client(specialist)
    created = w.post(
        "/api/consults",
        _body(patient),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    ).json()
    # The creation answers from the row just written: the same body a read answers.
    assert w.get(f"/api/consults/{created['id']}").json() == created
    hub_queue = s.get("/api/consults?queue=hub&limit=200").json()
    assert created["id"] in [item["id"] for item in hub_queue["items"]]
    assert created["id"] in [
        item["id"] for item in w.get("/api/consults?queue=mine").json()["items"]
    ]
    uploaded = w.post(
        f"/api/consults/{created['id']}/attachments",
        {"attachments": [_file("ecg.jpg", jpeg_bytes())]},
    )
    assert uploaded.status_code == 201
    assert uploaded.json()[0]["content_type"] == "image/jpeg"
    msg = s.post(
        f"/api/consults/{created['id']}/messages",
        {"body": "Cho xem phim X-quang?"},
        content_type="application/json",
    )
    assert msg.status_code == 201
    advice = s.post(
        f"/api/consults/{created['id']}/advice",
        {"advice": "Kháng sinh, theo dõi.", "outcome": "manage_locally", "diagnoses": ["J18.9"]},
        content_type="application/json",
    )
    assert advice.status_code == 200
    assert advice.json()["status"] == "answered"
    assert advice.json()["diagnoses"][0]["code"] == "J18.9"
    closed = w.post(
        f"/api/consults/{created['id']}/close",
        {"action_taken": "Điều trị tại trạm."},
        content_type="application/json",
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["minutes_url"].endswith("minutes.pdf")
    detail = w.get(f"/api/consults/{created['id']}").json()
    assert [m["body"] for m in detail["messages"]] == ["Cho xem phim X-quang?"]
    read = AuditEvent.objects.filter(action="view").latest("id")
    assert read.actor == worker
    assert read.object_id == created["patient"]["id"]
    assert read.detail["objects"] == {"consults.consultation": [created["id"]]}
    assert read.purpose == "teleconsultation"


def test_api_close_by_the_hub_side_is_forbidden_and_changes_nothing(worker, specialist, api_client):
    patient = make_patient(worker)
    w, s = api_client(worker), api_client(specialist)
    created = w.post(
        "/api/consults",
        _body(patient),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    ).json()
    s.post(
        f"/api/consults/{created['id']}/advice",
        {"advice": "x", "outcome": "refer", "diagnoses": []},
        content_type="application/json",
    )
    response = s.post(
        f"/api/consults/{created['id']}/close",
        {"action_taken": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert Consultation.objects.get(public_id=created["id"]).status == Status.ANSWERED


def test_api_unknown_icd_code_is_refused(worker, specialist, api_client):
    patient = make_patient(worker)
    created = (
        api_client(worker)
        .post(
            "/api/consults",
            _body(patient),
            content_type="application/json",
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        .json()
    )
    response = api_client(specialist).post(
        f"/api/consults/{created['id']}/advice",
        {"advice": "x", "outcome": "refer", "diagnoses": ["ZZ99"]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert Consultation.objects.get(public_id=created["id"]).status == Status.SUBMITTED


def test_api_outsiders_get_404(worker, receiver, officer, api_client):
    patient = make_patient(worker)
    created = (
        api_client(worker)
        .post(
            "/api/consults",
            _body(patient),
            content_type="application/json",
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        .json()
    )
    for user in (receiver, officer):
        assert api_client(user).get(f"/api/consults/{created['id']}").status_code == 404
        assert api_client(user).get(f"/api/patients/{patient.public_id}").status_code == 404
        assert api_client(user).get("/api/patients?q=Giàng").json()["count"] == 0


def test_api_registers_patients_and_warns_of_duplicates(worker, api_client):
    client = api_client(worker)
    body = {
        "full_name": "Lò Văn Pó",
        "sex": "male",
        "birth_date": "1960-05-02",
        "citizen_id": "008060001234",
        "insurance_number": "HN2080123456789",
        "phone": "0912 345 678",
        "commune": 715,
        "ethnicity": "08",
        "household": "poor",
        "consent": {"method": "verbal"},
    }
    created = client.post("/api/patients", body, content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["phone"] == "+84912345678"
    assert data["insurance"]["benefit_level"] == "2"
    assert data["consent_active"] is True
    assert set(data["vulnerabilities"]) >= {"poor", "ethnic_minority", "elderly"}
    duplicate = client.post(
        "/api/patients", {**body, "full_name": "Lo Van Po"}, content_type="application/json"
    )
    assert duplicate.status_code == 409
    found = client.get("/api/patients?q=lo van po").json()
    assert found["count"] == 1
    assert found["items"][0]["id"] == data["id"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("citizen_id", "12345"),
        ("citizen_id", "999060001234"),
        ("insurance_number", "HN9080123456789"),
        ("phone", "0169123456"),
    ],
)
def test_api_refuses_malformed_identifiers(worker, api_client, field, value):
    body = {"full_name": "Test Sai", "sex": "female", "age_years": 30, "commune": 715, field: value}
    response = api_client(worker).post("/api/patients", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def _file(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")
