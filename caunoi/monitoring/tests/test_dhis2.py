"""DHIS2: the payload's structure, and the push received by a local HTTP server that records and
checks what it gets (no DHIS2 server can run here)."""

import base64
import json
import threading
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.monitoring.catalogue import Place
from caunoi.monitoring.dhis2 import data_value_set, dhis2_period
from caunoi.monitoring.models import Dhis2DataElement, Dhis2OrgUnit, Dhis2Push
from caunoi.monitoring.periods import parse_period
from caunoi.patients.tests.factories import make_patient
from caunoi.places.models import Province

pytestmark = pytest.mark.django_db
SEPT = datetime(2026, 9, 10, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


class Recorder(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        Recorder.received.append(
            {
                "path": self.path,
                "auth": self.headers["Authorization"],
                "type": self.headers["Content-Type"],
                "body": json.loads(self.rfile.read(length)),
            }
        )
        answer = json.dumps({"status": "SUCCESS", "importCount": {"imported": 2}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def dhis2_server(settings):
    Recorder.received = []
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.DHIS2_URL = f"http://127.0.0.1:{server.server_port}/dhis"
    settings.DHIS2_USERNAME, settings.DHIS2_PASSWORD = "caunoi", "mat-khau"
    yield Recorder
    server.shutdown()


@pytest.fixture
def mapped(worker):
    for i in range(6):
        patient = make_patient(worker, name=f"DHIS {i}")
        c, _created = consultation_submit(
            actor=worker,
            client_id=uuid.uuid4(),
            submit=True,
            data=ConsultationInput(
                patient=patient, specialty=internal_medicine(), summary=summary()
            ),
        )
        Consultation.objects.filter(pk=c.pk).update(submitted_at=SEPT, updated_at=timezone.now())
    Dhis2DataElement.objects.create(indicator="consults_submitted", data_element="aBcDeF12345")
    Dhis2DataElement.objects.create(
        indicator="referrals", data_element="zYxWv098765", category_option_combo="HllvX50cXC0"
    )
    Dhis2OrgUnit.objects.create(province=Province.objects.get(code=4), org_unit="TQ0000001xx")
    Dhis2OrgUnit.objects.create(facility=worker.memberships.get().facility, org_unit="LungCu00001")


def test_periods_use_dhis2_ids():
    assert [
        dhis2_period(parse_period(p))
        for p in ["2026-10-05", "2026-W07", "2026-10", "2026-Q3", "2026"]
    ] == [
        "20261005",
        "2026W7",
        "202610",
        "2026Q3",
        "2026",
    ]


def test_payload_has_mapped_values_and_never_a_suppressed_one(mapped):
    payload = data_value_set(parse_period("2026-09"), within=[Place()])
    assert set(payload) == {"dataValues"}

    def order(values):
        return sorted(values, key=lambda v: (v["orgUnit"], v["dataElement"]))

    assert order(payload["dataValues"]) == order(
        [
            {
                "dataElement": "aBcDeF12345",
                "period": "202609",
                "orgUnit": "TQ0000001xx",
                "value": "6",
            },
            {
                "dataElement": "zYxWv098765",
                "period": "202609",
                "orgUnit": "TQ0000001xx",
                "value": "0",
                "categoryOptionCombo": "HllvX50cXC0",
            },
            {
                "dataElement": "aBcDeF12345",
                "period": "202609",
                "orgUnit": "LungCu00001",
                "value": "6",
            },
            {
                "dataElement": "zYxWv098765",
                "period": "202609",
                "orgUnit": "LungCu00001",
                "value": "0",
                "categoryOptionCombo": "HllvX50cXC0",
            },
        ]
    )
    Consultation.objects.filter(patient__full_name__in=["DHIS 0", "DHIS 1"]).update(
        status="cancelled", updated_at=timezone.now()
    )  # 4 patients left
    values = data_value_set(parse_period("2026-09"), within=[Place()])["dataValues"]
    assert all(v["dataElement"] != "aBcDeF12345" for v in values)  # suppressed: not sent


def test_push_reaches_the_server_with_auth_and_is_recorded(mapped, dhis2_server, officer, login):
    response = login(officer).post("/monitoring/dhis2/push/", {"place": "4", "period": "2026-09"})
    assert response.status_code == 302
    (received,) = dhis2_server.received
    assert received["path"] == "/dhis/api/dataValueSets?orgUnitIdScheme=UID"
    assert received["auth"] == "Basic " + base64.b64encode(b"caunoi:mat-khau").decode()
    assert received["type"] == "application/json"
    assert {v["orgUnit"] for v in received["body"]["dataValues"]} == {"TQ0000001xx", "LungCu00001"}
    push = Dhis2Push.objects.get()
    assert push.ok
    assert push.status == 200
    assert push.values == 4
    assert push.period == "202609"
    assert "SUCCESS" in push.response


def test_the_command_pushes_and_fails_loudly_when_refused(mapped, dhis2_server, settings):
    call_command("dhis2", "push", "--period", "2026-09", "--province", "4")
    assert len(dhis2_server.received) == 1
    settings.DHIS2_URL = "http://127.0.0.1:9/nothing-listens-here"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("dhis2", "push", "--period", "2026-09")
    assert Dhis2Push.objects.filter(ok=False).count() == 1


def test_only_admins_and_officers_push(mapped, dhis2_server, donor, worker, login):
    for user in (donor, worker):
        assert (
            login(user)
            .post("/monitoring/dhis2/push/", {"place": "network", "period": "2026-09"})
            .status_code
            == 404
        )
    assert dhis2_server.received == []


def test_the_dashboard_offers_the_payload_as_json(mapped, officer, login):
    response = login(officer).get("/monitoring/?place=4&period=2026-09&export=dhis2")
    assert response["Content-Type"] == "application/json"
    assert len(response.json()["dataValues"]) == 4


def test_a_station_workers_exports_hold_only_their_station(mapped, worker, login):
    """Every export is limited to the places the reader may see, by the rule of the API."""
    station = worker.memberships.get().facility
    client = login(worker)
    own = f"/monitoring/?place={station.public_id}&period=2026-09"
    payload = client.get(f"{own}&export=dhis2").json()
    assert {v["orgUnit"] for v in payload["dataValues"]} == {"LungCu00001"}
    api = client.get(
        f"/api/indicators/consults_submitted/values?period=2026-09&place={station.public_id}"
    ).json()
    assert api["total"]["value"] == 6
    for export in ("csv", "xlsx"):
        for table in ("trend", "vulnerable_groups"):
            response = client.get(f"{own}&export={export}&table={table}")
            assert response.status_code == 200
            if export == "csv":
                text = response.content.decode("utf-8-sig")
                assert "Cao Bằng" not in text
    for place in ("4", "network"):
        for export in ("dhis2", "pdf", "csv"):
            response = client.get(f"/monitoring/?place={place}&period=2026-09&export={export}")
            assert response.status_code == 404
    assert (
        client.post(
            "/monitoring/dhis2/push/", {"place": str(station.public_id), "period": "2026-09"}
        ).status_code
        == 404
    )


def test_a_provinces_payload_holds_no_unit_of_another_province(mapped, officer, login):
    elsewhere = Province.objects.exclude(code=4).order_by("code")[0]
    Dhis2OrgUnit.objects.create(province=elsewhere, org_unit="ELSEWHERE01")
    payload = login(officer).get("/monitoring/?place=4&period=2026-09&export=dhis2").json()
    assert "ELSEWHERE01" not in {v["orgUnit"] for v in payload["dataValues"]}
    assert {v["orgUnit"] for v in payload["dataValues"]} == {"TQ0000001xx", "LungCu00001"}
