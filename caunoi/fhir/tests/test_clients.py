"""Real FHIR clients against the live test server — ``fhirpy`` and ``fhirclient``, neither
ours: search with paging and ``_include``, read, conditional create; and 64 conditional creates
of one Patient at once make exactly one (PostgreSQL, real parallel connections). These rows are
committed (the live server sees them): each test removes what it adds."""

import threading
import uuid

import pytest
from django.db import connection
from fhirclient.models.organization import Organization as FcOrganization
from fhirclient.models.patient import Patient as FcPatient
from fhirclient.server import FHIRServer
from fhirpy import SyncFHIRClient

from caunoi.accounts.models import ApiToken, User
from caunoi.accounts.services import api_token_create
from caunoi.fhir.tests.validators import assert_valid
from caunoi.network.models import Facility
from caunoi.patients.models import Patient

NATIONAL_ID = "http://fhir.ehealth.gov.vn/core/sid/national_id"


@pytest.fixture
def token(committed_db):
    worker = User.objects.get(username="worker")
    _row, raw = api_token_create(user=worker, name="fhir-clients", actor=worker)
    yield raw
    ApiToken.objects.filter(user=worker, name="fhir-clients").delete()


def _cleanup(citizen_id: str) -> None:
    for p in Patient.objects.filter(citizen_id=citizen_id):
        p.consents.all().delete()
        p.delete()


def _body(citizen_id: str, name: str) -> dict[str, object]:
    family, given = name.split(" ", 1)
    return {
        "resourceType": "Patient",
        "identifier": [{"system": NATIONAL_ID, "value": citizen_id}],
        "name": [{"family": family, "given": [given]}],
        "gender": "female",
        "birthDate": "1994-09-12",
    }


def test_fhirpy_searches_pages_includes_reads_and_creates_conditionally(live_server_url, token):
    client = SyncFHIRClient(f"{live_server_url}/fhir/R4", authorization=f"Bearer {token}")
    stations = Facility.objects.filter(kind="station")
    # Paging: fhirpy follows the next links to the end.
    every = client.resources("Organization").search(type="station").limit(2).fetch_all()
    assert sorted(o["id"] for o in every) == sorted(str(f.public_id) for f in stations)
    assert client.resources("Organization").search(type="station").count() == stations.count()
    # Diacritics aside, and _include.
    [station] = client.resources("Organization").search(name="bao lam").fetch()
    assert station["name"] == "Trạm Y tế xã Bảo Lâm"
    raw = (
        client.resources("PractitionerRole")
        .search(organization=f"Organization/{station['id']}")
        .include("PractitionerRole", "practitioner")
        .fetch_raw()
    )
    modes = {(e["resource"]["resourceType"], e["search"]["mode"]) for e in raw["entry"]}
    assert modes == {("PractitionerRole", "match"), ("Practitioner", "include")}
    read = client.reference("Organization", station["id"]).to_resource()
    assert read["identifier"][0]["value"] == Facility.objects.get(name=station["name"]).code
    # Conditional create: the first makes the patient, the second finds it.
    try:
        first = client.resource("Patient", **_body("001094001111", "Vàng Thị Pằng"))
        first.create(identifier=f"{NATIONAL_ID}|001094001111")
        second = client.resource("Patient", **_body("001094001111", "Vàng Thị Pằng"))
        second.create(identifier=f"{NATIONAL_ID}|001094001111")
        assert first.id == second.id
        assert Patient.objects.filter(citizen_id="001094001111").count() == 1
        found = client.resources("Patient").search(identifier="001094001111").fetch()
        assert [p.id for p in found] == [first.id]
        assert_valid(dict(read), dict(first), dict(raw))
    finally:
        _cleanup("001094001111")


def test_fhirclient_reads_and_searches(live_server_url, token):
    server = FHIRServer(None, base_uri=f"{live_server_url}/fhir/R4/")
    server.session.headers["Authorization"] = f"Bearer {token}"
    station = Facility.objects.get(name="Trạm Y tế xã Bảo Lâm")
    organization = FcOrganization.read(str(station.public_id), server)
    assert organization.name == station.name
    assert organization.partOf.reference == f"Organization/province-{station.province.code}"
    patient = None
    try:
        made = server.post_json("Patient", _body("001094002222", "Thào Văn Dình"))
        patient = FcPatient.read(made.json()["id"], server)
        assert patient.name[0].text == "Thào Văn Dình"
        found = FcPatient.where(struct={"identifier": "001094002222"}).perform_resources(server)
        assert [p.id for p in found] == [patient.id]
        other = FcPatient.where(struct={"name": "khong co ai"}).perform_resources(server)
        assert other == []
    finally:
        _cleanup("001094002222")


@pytest.mark.postgres
def test_sixty_four_conditional_creates_of_one_patient_make_exactly_one(committed_db):
    from django.test import Client

    worker = User.objects.get(username="worker")
    _row, raw = api_token_create(user=worker, name="fhir-race", actor=worker)
    criteria = f"identifier={NATIONAL_ID}|001094003333"
    barrier = threading.Barrier(64)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def create() -> None:
        client = Client(headers={"Authorization": f"Bearer {raw}"})
        barrier.wait()
        try:
            answer = client.post(
                "/fhir/R4/Patient",
                _body("001094003333", "Sình Thị Mỷ"),
                content_type="application/fhir+json",
                HTTP_IF_NONE_EXIST=criteria,
            )
            with lock:
                answers.append((answer.status_code, answer.json().get("id", "")))
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert Patient.objects.filter(citizen_id="001094003333").count() == 1
        statuses = sorted(status for status, _id in answers)
        assert statuses.count(201) == 1, statuses
        assert statuses.count(200) == 63, statuses
        assert len({ident for _status, ident in answers}) == 1
    finally:
        _cleanup("001094003333")
        ApiToken.objects.filter(user=worker, name="fhir-race").delete()


def test_an_unknown_id_answers_an_operation_outcome(live_server_url, token):
    client = SyncFHIRClient(f"{live_server_url}/fhir/R4", authorization=f"Bearer {token}")
    with pytest.raises(Exception, match=r"OperationOutcome|not-found|No Patient"):
        client.reference("Patient", str(uuid.uuid4())).to_resource()
