"""The clinical workflow over FHIR: a consultation and a referral as ServiceRequest + Task, the
messages and the counter-referral as Communication, the attachments as DocumentReference with
their Binary, a video session as an Encounter; a referral made from a ServiceRequest; a Task
moved on with If-Match (412 on a stale version); the same access rules as the pages (another
station's worker: 404 and absent), every read audited; every resource valid R4 for two
independent implementations."""

import base64
import json
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.accounts.services import api_token_create
from caunoi.audit.models import AuditEvent
from caunoi.consults.services import ConsultationInput, Upload, consultation_submit, message_post
from caunoi.consults.tests.factories import internal_medicine, jpeg_bytes, summary
from caunoi.fhir.tests.validators import assert_valid
from caunoi.patients.tests.factories import make_patient
from caunoi.referrals.models import Referral
from caunoi.referrals.services import (
    referral_accept,
    referral_arrive,
    referral_counter_refer,
    referral_discharge,
)
from caunoi.referrals.tests.factories import make_referral, provincial_hospital
from caunoi.video.services import video_session_schedule

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4"
FHIR = "application/fhir+json"


def client_of(user):
    _row, token = api_token_create(user=user, name="fhir", actor=user)
    return Client(headers={"Authorization": f"Bearer {token}"})


def get(client, path, params=None, status=200):
    answer = client.get(f"{BASE}/{path}", params or {})
    assert answer.status_code == status, answer.content.decode()[:400]
    return answer.json()


def matches(bundle):
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


@pytest.fixture
def case(worker, specialist):
    patient = make_patient(worker, name="Chảo Thị Mẩy")
    consult, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=patient,
            specialty=internal_medicine(),
            urgency="urgent",
            summary=summary(),
            uploads=[Upload("phim-phoi.jpg", jpeg_bytes())],
        ),
    )
    message, _new = message_post(consultation=consult, actor=worker, body="Bệnh nhân sốt lại.")
    session = video_session_schedule(
        actor=specialist,
        title="Hội chẩn ca sốt",
        scheduled_at=timezone.now() + timedelta(hours=2),
        participants=[worker],
        consultation=consult,
    )
    referral = make_referral(worker, patient, consultation=consult)
    return {
        "patient": patient,
        "consult": consult,
        "message": message,
        "session": session,
        "referral": referral,
    }


def test_a_consultation_reads_as_service_request_task_communication_documents_and_encounter(
    case, worker
):
    client = client_of(worker)
    consult, patient = case["consult"], case["patient"]
    request = get(client, f"ServiceRequest/{consult.public_id}")
    assert request["status"] == "active"
    assert request["priority"] == "urgent"
    assert request["subject"]["reference"] == f"Patient/{patient.public_id}"
    assert request["category"][0]["coding"][0]["code"] == "teleconsultation"
    task = get(client, f"Task/{consult.public_id}")
    assert task["status"] == "requested"
    assert task["focus"]["reference"] == f"ServiceRequest/{consult.public_id}"
    assert task["restriction"]["period"]["end"]
    by_patient = get(client, "ServiceRequest", {"patient": f"Patient/{patient.public_id}"})
    kinds = sorted(r["category"][0]["coding"][0]["code"] for r in matches(by_patient))
    assert kinds == ["referral", "teleconsultation"]
    only_consults = get(
        client,
        "ServiceRequest",
        {"patient": str(patient.public_id), "category": "teleconsultation", "status": "active"},
    )
    assert [r["id"] for r in matches(only_consults)] == [str(consult.public_id)]
    referral_request = get(client, f"ServiceRequest/{case['referral'].public_id}")
    assert referral_request["basedOn"][0]["reference"] == f"ServiceRequest/{consult.public_id}"
    messages = get(client, "Communication", {"based-on": f"ServiceRequest/{consult.public_id}"})
    assert [m["payload"][0]["contentString"] for m in matches(messages)] == ["Bệnh nhân sốt lại."]
    documents = get(client, "DocumentReference", {"related": str(consult.public_id)})
    [document] = matches(documents)
    attachment = consult.attachments.get()
    assert document["content"][0]["attachment"]["url"] == f"Binary/{attachment.public_id}"
    binary = get(client, f"Binary/{attachment.public_id}")
    with attachment.file.open("rb") as stored:
        assert base64.b64decode(binary["data"]) == stored.read()
    assert binary["contentType"] == "image/jpeg"
    [video] = matches(get(client, "Encounter", {"patient": str(patient.public_id), "class": "VR"}))
    assert video["class"]["code"] == "VR"
    assert video["status"] == "planned"
    assert video["basedOn"][0]["reference"] == f"ServiceRequest/{consult.public_id}"
    assert_valid(request, task, by_patient, referral_request, messages, documents, binary, video)
    # Every read is audited with the patient named, the messages' and files' too.
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    get(client, "Communication", {"patient": str(patient.public_id)})
    row = AuditEvent.objects.filter(id__gt=before, action="view").get()
    assert row.detail["patients"] == [str(patient.public_id)]


def test_another_stations_worker_sees_none_of_it(case):
    other = client_of(User.objects.get(username="worker.other"))
    consult = case["consult"]
    for path in (
        f"ServiceRequest/{consult.public_id}",
        f"Task/{consult.public_id}",
        f"Communication/{case['message'].public_id}",
        f"DocumentReference/{consult.attachments.get().public_id}",
        f"Binary/{consult.attachments.get().public_id}",
        f"Encounter/{case['session'].public_id}",
        f"ServiceRequest/{case['referral'].public_id}",
        f"Observation/{consult.public_id}-spo2",
    ):
        assert get(other, path, status=404)["resourceType"] == "OperationOutcome"
    kinds = ("ServiceRequest", "Task", "Communication", "DocumentReference", "Encounter")
    for kind in (*kinds, "Observation"):
        assert matches(get(other, kind, {"patient": str(case["patient"].public_id)})) == []
        assert get(other, f"{kind}/_history", {"_since": "2001-01-01"}).get("entry", []) == []


def test_a_hospital_system_reads_its_incoming_referrals_and_moves_their_tasks(case, receiver):
    hospital = client_of(receiver)
    referral = case["referral"]
    incoming = get(
        hospital,
        "Task",
        {"owner": f"Organization/{provincial_hospital().public_id}", "status": "requested"},
    )
    assert [t["id"] for t in matches(incoming)] == [str(referral.public_id)]
    task = matches(incoming)[0]
    etag = f'W/"{task["meta"]["versionId"]}"'
    accepted = hospital.put(
        f"{BASE}/Task/{referral.public_id}",
        json.dumps({**task, "status": "accepted"}),
        content_type=FHIR,
        HTTP_IF_MATCH=etag,
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    referral.refresh_from_db()
    assert referral.status == "accepted"
    # The same stale version again: 412, nothing changes.
    stale = hospital.put(
        f"{BASE}/Task/{referral.public_id}",
        json.dumps({**task, "status": "in-progress"}),
        content_type=FHIR,
        HTTP_IF_MATCH=etag,
    )
    assert stale.status_code == 412
    assert stale.json()["issue"][0]["code"] == "conflict"
    referral.refresh_from_db()
    assert referral.status == "accepted"
    arrived = hospital.put(
        f"{BASE}/Task/{referral.public_id}",
        json.dumps({**task, "status": "in-progress"}),
        content_type=FHIR,
        HTTP_IF_MATCH=accepted["ETag"],
    )
    assert arrived.json()["status"] == "in-progress"
    # A change the interface does not make: 422 with the way to make it.
    done = hospital.put(
        f"{BASE}/Task/{referral.public_id}",
        json.dumps({**task, "status": "completed"}),
        content_type=FHIR,
    )
    assert done.status_code == 422
    assert_valid(incoming, accepted.json(), arrived.json(), stale.json(), done.json())
    # The station's worker cannot accept its own referral.
    worker_client = client_of(User.objects.get(username="worker"))
    second = make_referral(User.objects.get(username="worker"), case["patient"])
    refused = worker_client.put(
        f"{BASE}/Task/{second.public_id}",
        json.dumps({"resourceType": "Task", "id": str(second.public_id), "status": "accepted"}),
        content_type=FHIR,
    )
    assert refused.status_code in (403, 422)
    second.refresh_from_db()
    assert second.status == "sent"


def test_a_declined_referral_needs_a_reason_and_the_counter_referral_comes_back(
    case, receiver, worker
):
    hospital = client_of(receiver)
    referral = case["referral"]
    no_reason = hospital.put(
        f"{BASE}/Task/{referral.public_id}",
        json.dumps({"resourceType": "Task", "id": str(referral.public_id), "status": "rejected"}),
        content_type=FHIR,
    )
    assert no_reason.status_code == 422
    referral.refresh_from_db()
    assert referral.status == "sent"
    referral_accept(referral=referral, actor=receiver)
    referral.refresh_from_db()
    referral_arrive(referral=referral, actor=receiver)
    referral.refresh_from_db()
    referral_discharge(referral=referral, actor=receiver, outcome="outpatient")
    referral.refresh_from_db()
    referral_counter_refer(
        referral=referral,
        actor=receiver,
        diagnosis="Viêm phổi thùy",
        follow_up="Tái khám sau 7 ngày",
    )
    station = client_of(worker)
    back = matches(
        get(
            station,
            "Communication",
            {"category": "counter-referral", "patient": str(case["patient"].public_id)},
        )
    )
    assert [c["id"] for c in back] == [f"counter-{referral.public_id}"]
    assert "Chẩn đoán: Viêm phổi thùy" in [p["contentString"] for p in back[0]["payload"]]
    assert back[0]["basedOn"][0]["reference"] == f"ServiceRequest/{referral.public_id}"
    task = get(station, f"Task/{referral.public_id}")
    assert task["status"] == "completed"
    assert_valid(*back, task)


def test_a_referral_made_from_a_service_request_is_idempotent_and_checked(case, worker):
    client = client_of(worker)
    key = str(uuid.uuid4())
    body = {
        "resourceType": "ServiceRequest",
        "identifier": [{"system": "https://fhir.caunoi.vn/sid/client-id", "value": key}],
        "status": "active",
        "intent": "order",
        "category": [
            {
                "coding": [
                    {"system": "https://fhir.caunoi.vn/CodeSystem/request-kind", "code": "referral"}
                ]
            }
        ],
        "priority": "urgent",
        "subject": {"reference": f"Patient/{case['patient'].public_id}"},
        "performer": [{"reference": f"Organization/{provincial_hospital().public_id}"}],
        "reasonCode": [{"text": "Khó thở tăng dần"}],
    }
    first = client.post(f"{BASE}/ServiceRequest", json.dumps(body), content_type=FHIR)
    assert first.status_code == 201, first.content
    again = client.post(f"{BASE}/ServiceRequest", json.dumps(body), content_type=FHIR)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    made = Referral.objects.get(public_id=first.json()["id"])
    assert (made.reason, made.urgency, made.to_facility) == (
        "Khó thở tăng dần",
        "urgent",
        provincial_hospital(),
    )
    before = Referral.objects.count()
    for broken, status in (
        ({**body, "identifier": [], "reasonCode": []}, 422),  # no reason
        ({**body, "identifier": [], "category": []}, 422),  # not a referral
        ({**body, "identifier": [], "subject": {"reference": f"Patient/{uuid.uuid4()}"}}, 404),
        ({**body, "identifier": [], "priority": "soon"}, 422),
    ):
        answer = client.post(f"{BASE}/ServiceRequest", json.dumps(broken), content_type=FHIR)
        assert answer.status_code == status, answer.content
        assert answer.json()["resourceType"] == "OperationOutcome"
    assert Referral.objects.count() == before
    assert_valid(first.json())


def test_a_specialist_takes_a_consultation_by_accepting_its_task(case, specialist):
    client = client_of(specialist)
    consult = case["consult"]
    task = get(client, f"Task/{consult.public_id}")
    taken = client.put(
        f"{BASE}/Task/{consult.public_id}",
        json.dumps({**task, "status": "accepted"}),
        content_type=FHIR,
        HTTP_IF_MATCH=f'W/"{task["meta"]["versionId"]}"',
    )
    assert taken.status_code == 200, taken.content
    assert taken.json()["owner"]["reference"] == f"Practitioner/{specialist.public_id}"
    consult.refresh_from_db()
    assert consult.specialist == specialist
    mine = get(client, "Task", {"owner": f"Practitioner/{specialist.public_id}"})
    assert str(consult.public_id) in [t["id"] for t in matches(mine)]
    assert_valid(taken.json(), mine)


def test_the_audit_trail_reads_as_audit_events_for_administrators_only(case, worker, network_admin):
    station = client_of(worker)
    patient = case["patient"]
    get(station, f"Patient/{patient.public_id}")  # a read, audited
    admin = client_of(network_admin)
    reads = get(admin, "AuditEvent", {"patient": f"Patient/{patient.public_id}", "action": "R"})
    events = matches(reads)
    assert events
    mine = [
        e
        for e in events
        if e["agent"][0]["who"].get("reference") == f"Practitioner/{worker.public_id}"
    ]
    assert mine
    event = mine[-1]
    assert event["subtype"][0]["code"] == "read"
    assert {"what": {"reference": f"Patient/{patient.public_id}"}}.items() <= event["entity"][
        0
    ].items()
    assert event["agent"][0]["requestor"] is True
    creates = matches(get(admin, "AuditEvent", {"action": "C", "patient": str(patient.public_id)}))
    assert all(e["action"] == "C" for e in creates)
    assert_valid(reads, event)
    # Anyone else: an empty list and 404.
    assert matches(get(station, "AuditEvent", {"patient": str(patient.public_id)})) == []
    get(station, f"AuditEvent/{event['id']}", status=404)


def test_a_consultation_taken_by_another_specialist_is_not_taken_again(case, specialist):
    from caunoi.network.models import Membership, Specialty

    consult = case["consult"]
    hub = specialist.memberships.get().facility
    second = User.objects.create_user(username="second.internist", full_name="Võ Văn Hai")
    Membership.objects.create(user=second, facility=hub, role="specialist").specialties.add(
        Specialty.objects.get(code="internal-medicine")
    )
    first = client_of(specialist)
    task = get(first, f"Task/{consult.public_id}")
    taken = first.put(
        f"{BASE}/Task/{consult.public_id}",
        json.dumps({**task, "status": "accepted"}),
        content_type=FHIR,
    )
    assert taken.status_code == 200
    late = client_of(second).put(
        f"{BASE}/Task/{consult.public_id}",
        json.dumps({**task, "status": "accepted"}),
        content_type=FHIR,
    )
    assert late.status_code in (403, 409, 422), late.content
    consult.refresh_from_db()
    assert consult.specialist == specialist


@pytest.mark.parametrize(
    "change",
    [
        {"performer": {"reference": "Organization/x"}},
        {"reasonCode": [{"text": 5}]},
        {"note": "not a list"},
        {"priority": ["urgent"]},
        {"subject": "Patient/x"},
    ],
)
def test_a_malformed_service_request_is_a_4xx_not_a_crash(case, worker, change):
    body = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"code": "referral"}]}],
        "subject": {"reference": f"Patient/{case['patient'].public_id}"},
        "performer": [{"reference": f"Organization/{provincial_hospital().public_id}"}],
        "reasonCode": [{"text": "Khó thở"}],
        **change,
    }
    before = Referral.objects.count()
    answer = client_of(worker).post(f"{BASE}/ServiceRequest", json.dumps(body), content_type=FHIR)
    assert 400 <= answer.status_code < 500, answer.content
    assert answer.json()["resourceType"] == "OperationOutcome"
    assert Referral.objects.count() == before


def test_each_clinical_search_parameter_finds_its_rows_and_only_them(case, worker, specialist):
    """Every parameter the CapabilityStatement lists for the clinical types, with a value that
    matches the case's row and one that does not."""
    client = client_of(worker)
    consult, referral, patient = case["consult"], case["referral"], case["patient"]
    message, session = case["message"], case["session"]
    attachment = consult.attachments.get()
    today = timezone.localdate()
    tomorrow, long_ago = today + timedelta(days=1), "2001-01-01"
    hub = consult.hub
    cases = [
        (
            "ServiceRequest",
            consult.public_id,
            "patient",
            f"Patient/{patient.public_id}",
            f"Patient/{uuid.uuid4()}",
        ),
        ("ServiceRequest", consult.public_id, "subject", str(patient.public_id), str(uuid.uuid4())),
        ("ServiceRequest", consult.public_id, "status", "active", "completed"),
        ("ServiceRequest", consult.public_id, "category", "teleconsultation", "nothing"),
        ("ServiceRequest", referral.public_id, "category", "referral", "teleconsultation"),
        ("ServiceRequest", consult.public_id, "priority", "urgent", "stat"),
        (
            "ServiceRequest",
            consult.public_id,
            "requester",
            f"Practitioner/{worker.public_id}",
            f"Practitioner/{specialist.public_id}",
        ),
        (
            "ServiceRequest",
            consult.public_id,
            "performer",
            f"Organization/{hub.public_id}",
            f"Organization/{uuid.uuid4()}",
        ),
        (
            "ServiceRequest",
            referral.public_id,
            "performer",
            f"Organization/{provincial_hospital().public_id}",
            f"Organization/{hub.public_id}",
        ),
        ("ServiceRequest", consult.public_id, "authored", f"ge{today}", f"ge{tomorrow}"),
        ("ServiceRequest", consult.public_id, "_lastUpdated", f"ge{today}", f"lt{long_ago}"),
        ("ServiceRequest", consult.public_id, "_id", str(consult.public_id), str(uuid.uuid4())),
        ("Task", consult.public_id, "patient", str(patient.public_id), str(uuid.uuid4())),
        ("Task", consult.public_id, "status", "requested", "completed"),
        (
            "Task",
            consult.public_id,
            "owner",
            f"Organization/{hub.public_id}",
            f"Practitioner/{specialist.public_id}",
        ),
        (
            "Task",
            referral.public_id,
            "owner",
            f"Organization/{provincial_hospital().public_id}",
            f"Organization/{hub.public_id}",
        ),
        (
            "Task",
            consult.public_id,
            "focus",
            f"ServiceRequest/{consult.public_id}",
            f"ServiceRequest/{uuid.uuid4()}",
        ),
        (
            "Task",
            consult.public_id,
            "based-on",
            f"ServiceRequest/{consult.public_id}",
            f"ServiceRequest/{referral.public_id}",
        ),
        ("Task", consult.public_id, "authored-on", f"le{tomorrow}", f"lt{long_ago}"),
        ("Task", consult.public_id, "modified", f"ge{today}", f"lt{long_ago}"),
        ("Communication", message.public_id, "patient", str(patient.public_id), str(uuid.uuid4())),
        ("Communication", message.public_id, "subject", str(patient.public_id), str(uuid.uuid4())),
        (
            "Communication",
            message.public_id,
            "based-on",
            f"ServiceRequest/{consult.public_id}",
            f"ServiceRequest/{referral.public_id}",
        ),
        ("Communication", message.public_id, "category", "teleconsultation", "counter-referral"),
        (
            "Communication",
            message.public_id,
            "sender",
            f"Practitioner/{worker.public_id}",
            f"Practitioner/{specialist.public_id}",
        ),
        ("Communication", message.public_id, "sent", f"ge{today}", f"ge{tomorrow}"),
        (
            "DocumentReference",
            attachment.public_id,
            "patient",
            str(patient.public_id),
            str(uuid.uuid4()),
        ),
        (
            "DocumentReference",
            attachment.public_id,
            "related",
            f"ServiceRequest/{consult.public_id}",
            f"ServiceRequest/{referral.public_id}",
        ),
        ("DocumentReference", attachment.public_id, "date", f"ge{today}", f"ge{tomorrow}"),
        ("Encounter", session.public_id, "patient", str(patient.public_id), str(uuid.uuid4())),
        (
            "Encounter",
            session.public_id,
            "based-on",
            f"ServiceRequest/{consult.public_id}",
            f"ServiceRequest/{referral.public_id}",
        ),
        ("Encounter", session.public_id, "status", "planned", "finished"),
        ("Encounter", session.public_id, "class", "VR", "AMB"),
        ("Encounter", session.public_id, "date", f"ge{today}", f"lt{today}"),
        ("Observation", f"{consult.public_id}-spo2", "patient", str(patient.public_id), "x"),
        ("Observation", f"{consult.public_id}-spo2", "based-on", str(consult.public_id), "x"),
        ("Observation", f"{consult.public_id}-spo2", "code", "http://loinc.org|59408-5", "8310-5"),
        ("Observation", f"{consult.public_id}-spo2", "category", "vital-signs", "exam"),
        ("Observation", f"{consult.public_id}-examination", "category", "exam", "vital-signs"),
        ("Observation", f"{consult.public_id}-spo2", "date", f"ge{today}", f"lt{today}"),
    ]
    listed = {
        (r["type"], p["name"])
        for r in get(client, "metadata")["rest"][0]["resource"]
        for p in r.get("searchParam", [])
    }
    for kind, ident, param, hit, miss in cases:
        assert (kind, param) in listed, (kind, param)
        found = [r["id"] for r in matches(get(client, kind, {param: hit, "_count": "100"}))]
        assert str(ident) in found, (kind, param, hit)
        missed = [r["id"] for r in matches(get(client, kind, {param: miss, "_count": "100"}))]
        assert str(ident) not in missed, (kind, param, miss)
    clinical = {
        "ServiceRequest",
        "Task",
        "Communication",
        "DocumentReference",
        "Encounter",
        "Observation",
    }
    covered = {(kind, param) for kind, _i, param, _h, _m in cases}
    not_tested = {(k, p) for k, p in listed if k in clinical} - covered
    # _id and _lastUpdated work the same way for every type (test_fhir.py); the rest is here.
    assert {p for _k, p in not_tested} <= {"_id", "_lastUpdated", "subject"}, not_tested


def test_a_station_system_asks_a_teleconsultation_with_a_service_request(case, worker):
    from caunoi.consults.models import Consultation

    client = client_of(worker)
    key = str(uuid.uuid4())
    body = {
        "resourceType": "ServiceRequest",
        "identifier": [{"system": "https://fhir.caunoi.vn/sid/client-id", "value": key}],
        "status": "active",
        "intent": "order",
        "category": [{"coding": [{"code": "teleconsultation"}]}],
        "code": {
            "coding": [
                {
                    "system": "https://fhir.caunoi.vn/CodeSystem/specialty",
                    "code": "internal-medicine",
                }
            ]
        },
        "priority": "urgent",
        "subject": {"reference": f"Patient/{case['patient'].public_id}"},
        "reasonCode": [{"text": "Ho kéo dài 3 tuần"}],
        "note": [{"text": "Có cần chụp X-quang phổi không?"}],
    }
    made = client.post(f"{BASE}/ServiceRequest", json.dumps(body), content_type=FHIR)
    assert made.status_code == 201, made.content
    asked = Consultation.objects.get(public_id=made.json()["id"])
    assert (asked.status, asked.urgency, asked.specialty.code) == (
        "submitted",
        "urgent",
        "internal-medicine",
    )
    assert (asked.reason, asked.question) == (
        "Ho kéo dài 3 tuần",
        "Có cần chụp X-quang phổi không?",
    )
    assert asked.hub is not None
    assert asked.deadline_at is not None
    again = client.post(f"{BASE}/ServiceRequest", json.dumps(body), content_type=FHIR)
    assert (again.status_code, again.json()["id"]) == (200, made.json()["id"])
    task = get(client, f"Task/{asked.public_id}")
    assert task["status"] == "requested"
    assert_valid(made.json(), task)
    before = Consultation.objects.count()
    for broken in (
        {**body, "identifier": [], "note": []},  # no question
        {**body, "identifier": [], "code": {"coding": [{"code": "astrology"}]}},
        {**body, "identifier": [], "subject": {"reference": "Practitioner/x"}},
    ):
        answer = client.post(f"{BASE}/ServiceRequest", json.dumps(broken), content_type=FHIR)
        assert 400 <= answer.status_code < 500, answer.content
        assert answer.json()["resourceType"] == "OperationOutcome"
    assert Consultation.objects.count() == before


def test_a_thread_of_replies_costs_the_same_queries_as_one_message(case, worker):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_of(worker)
    consult = case["consult"]

    def cost():
        with CaptureQueriesContext(connection) as queries:
            bundle = get(client, "Communication", {"based-on": str(consult.public_id)})
        # The token's "last used" is written at most once a while: not the search's cost.
        return len(matches(bundle)), sum(1 for q in queries if "accounts_apitoken" not in q["sql"])

    one = cost()
    parent = case["message"]
    for n in range(3):
        parent, _new = message_post(
            consultation=consult, actor=worker, body=f"Bổ sung {n}", parent=parent
        )
    four = cost()
    assert (one[0], four[0]) == (1, 4)
    assert four[1] == one[1], (one, four)


def test_a_specialist_answers_in_the_thread_with_a_communication(case, specialist):
    from caunoi.consults.models import Message

    client = client_of(specialist)
    consult, question = case["consult"], case["message"]
    key = str(uuid.uuid4())
    body = {
        "resourceType": "Communication",
        "identifier": [{"system": "https://fhir.caunoi.vn/sid/client-id", "value": key}],
        "status": "completed",
        "basedOn": [{"reference": f"ServiceRequest/{consult.public_id}"}],
        "inResponseTo": [{"reference": f"Communication/{question.public_id}"}],
        "payload": [{"contentString": "Cho làm công thức máu, theo dõi nhiệt độ."}],
    }
    made = client.post(f"{BASE}/Communication", json.dumps(body), content_type=FHIR)
    assert made.status_code == 201, made.content
    written = Message.objects.get(public_id=made.json()["id"])
    assert (written.author, written.parent, written.body) == (
        specialist,
        question,
        "Cho làm công thức máu, theo dõi nhiệt độ.",
    )
    assert made.json()["inResponseTo"][0]["reference"] == f"Communication/{question.public_id}"
    consult.refresh_from_db()
    assert consult.first_response_at is not None  # the hub has answered: the clock stops
    again = client.post(f"{BASE}/Communication", json.dumps(body), content_type=FHIR)
    assert (again.status_code, again.json()["id"]) == (200, made.json()["id"])
    thread = matches(get(client, "Communication", {"based-on": str(consult.public_id)}))
    assert [m["id"] for m in thread] == [str(question.public_id), made.json()["id"]]
    assert_valid(made.json(), again.json())
    before = Message.objects.count()
    other_consult = uuid.uuid4()
    for broken, status in (
        ({**body, "identifier": [], "payload": []}, 422),  # nothing written
        ({**body, "identifier": [], "payload": [{"contentAttachment": {"url": "x"}}]}, 422),
        (
            {
                **body,
                "identifier": [],
                "inResponseTo": [{"reference": f"Communication/{uuid.uuid4()}"}],
            },
            422,
        ),
        (
            {
                **body,
                "identifier": [],
                "basedOn": [{"reference": f"ServiceRequest/{other_consult}"}],
            },
            404,
        ),
        ({**body, "identifier": [], "basedOn": []}, 422),
    ):
        answer = client.post(f"{BASE}/Communication", json.dumps(broken), content_type=FHIR)
        assert answer.status_code == status, answer.content
        assert answer.json()["resourceType"] == "OperationOutcome"
    # Another station's worker cannot write in the thread: it is not there for them.
    outsider = client_of(User.objects.get(username="worker.other"))
    refused = outsider.post(
        f"{BASE}/Communication", json.dumps({**body, "identifier": []}), content_type=FHIR
    )
    assert refused.status_code == 404
    assert Message.objects.count() == before
