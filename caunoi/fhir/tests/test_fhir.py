"""The FHIR R4 interface: the CapabilityStatement matches the routes that exist (a test derives
one from the other), each search parameter finds what it should, paging stays stable while rows
are inserted, _include/_revinclude, the access rules of every other interface (404, absent from
searches, reads audited), bad input answered with an OperationOutcome and changing nothing, and
every resource returned valid for two independent R4 implementations."""

import json
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from caunoi.accounts.models import User
from caunoi.accounts.services import api_token_create
from caunoi.audit.models import AuditEvent
from caunoi.fhir.tests.validators import assert_valid
from caunoi.fhir.views import RESOURCES
from caunoi.network.models import Facility, Membership, Specialty, SupportLink
from caunoi.network.tests.factories import FacilityFactory
from caunoi.patients.models import Patient
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4"
FHIR = "application/fhir+json"


@pytest.fixture
def fhir():
    """A FHIR client of a user: bearer token, JSON; ``get`` answers the parsed body."""

    class Fhir:
        def __init__(self, user: User) -> None:
            _row, token = api_token_create(user=user, name="fhir", actor=user)
            self.client = Client(headers={"Authorization": f"Bearer {token}"})

        def get(self, path, params=None, status=200, **extra):
            answer = self.client.get(f"{BASE}/{path}", params or {}, **extra)
            assert answer.status_code == status, answer.content.decode()[:500]
            assert answer["Content-Type"].startswith(FHIR)
            return answer.json()

        def post(self, path, body, **extra):
            return self.client.post(
                f"{BASE}/{path}",
                body if isinstance(body, str) else json.dumps(body),
                content_type=FHIR,
                **extra,
            )

    return Fhir


def ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def _all_pages(client, path, params):
    bundle = client.get(path, params)
    pages = [bundle]
    while next_link := next((k["url"] for k in bundle["link"] if k["relation"] == "next"), None):
        answer = client.client.get(next_link)
        assert answer.status_code == 200
        bundle = answer.json()
        pages.append(bundle)
    return pages


# --- the CapabilityStatement and the routes ---------------------------------------------------


def test_the_capability_statement_lists_exactly_what_works(fhir, worker):
    client = fhir(worker)
    statement = client.get("metadata")
    assert_valid(statement)
    listed = {r["type"]: r for r in statement["rest"][0]["resource"]}
    # From the statement to the routes: every type, interaction and parameter listed works.
    for name, entry in listed.items():
        interactions = {i["code"] for i in entry["interaction"]}
        bundle: dict = {}
        if "search-type" in interactions:
            bundle = client.get(name, {"_count": "1"})
            assert bundle["resourceType"] == "Bundle"
            assert_valid(bundle)
        else:
            assert client.client.get(f"{BASE}/{name}").status_code == 405
        update = client.client.put(
            f"{BASE}/{name}/{uuid.uuid4()}", json.dumps({"resourceType": name}), content_type=FHIR
        )
        assert (update.status_code == 405) == ("update" not in interactions), (
            name,
            update.status_code,
        )
        assert update.json()["resourceType"] == "OperationOutcome"
        if "read" in interactions:
            missing = client.get(f"{name}/{uuid.uuid4()}", status=404)
            assert missing["resourceType"] == "OperationOutcome"
        if "vread" in interactions and bundle.get("entry"):
            one = bundle["entry"][0]["resource"]
            current = client.get(f"{name}/{one['id']}/_history/{one['meta']['versionId']}")
            assert current["id"] == one["id"]
            client.get(f"{name}/{one['id']}/_history/1", status=404)
        history = client.client.get(f"{BASE}/{name}/_history", {"_count": "1"})
        if "history-type" in interactions:
            assert history.status_code == 200
            assert history.json()["type"] == "history"
            assert_valid(history.json())
        else:
            assert history.status_code == 405
        create = client.post(name, {"resourceType": name})
        if "create" in interactions:
            assert create.status_code != 405
        else:
            assert create.status_code == 405
            assert create.json()["resourceType"] == "OperationOutcome"
        for param in entry.get("searchParam", []):
            value = {"token": "x", "string": "x", "reference": "x", "date": "2025"}[param["type"]]
            if param["name"] in ("active",):
                value = "true"
            client.get(name, {param["name"]: value}, HTTP_PREFER="handling=strict")
        for include in entry.get("searchInclude", []):
            client.get(name, {"_include": include, "_count": "2"})
        for include in entry.get("searchRevInclude", []):
            client.get(name, {"_revinclude": include, "_count": "2"})
    # From the routes to the statement: the types served are the types listed, nothing else.
    assert set(listed) == set(RESOURCES)
    unlisted = client.get("MedicationRequest", status=404)
    assert unlisted["issue"][0]["code"] == "not-supported"
    names = {
        pattern.name
        for resolver in get_resolver().url_patterns
        if isinstance(resolver, URLResolver) and resolver.app_name == "fhir"
        for pattern in resolver.url_patterns
        if isinstance(pattern, URLPattern)
    }
    assert names == {
        "metadata",
        "type",
        "history",
        "instance",
        "vread",
        "not_found",
        "smart_configuration",  # SMART Backend Services (test_smart.py)
        "token",
    }
    assert {
        "ServiceRequest",
        "Task",
        "Communication",
        "DocumentReference",
        "Binary",
        "Encounter",
    } <= set(listed)
    assert client.get("Patient/x/y/z", status=404)["resourceType"] == "OperationOutcome"


def test_json_only_and_every_error_an_operation_outcome(fhir, worker):
    client = fhir(worker)
    xml = client.client.get(f"{BASE}/metadata", headers={"Accept": "application/fhir+xml"})
    assert xml.status_code == 406
    assert xml.json()["resourceType"] == "OperationOutcome"
    assert client.client.get(f"{BASE}/metadata", {"_format": "xml"}).status_code == 406
    anonymous = Client().get(f"{BASE}/Patient")
    assert anonymous.status_code == 401
    assert anonymous.json()["issue"][0]["code"] == "login"
    wrong = Client(headers={"Authorization": "Bearer nope"}).get(f"{BASE}/Organization")
    assert wrong.status_code == 401
    strict = client.get(
        "Organization", {"colour": "green"}, status=400, HTTP_PREFER="handling=strict"
    )
    assert "colour" in strict["issue"][0]["diagnostics"]
    lenient = client.get("Organization", {"colour": "green", "_count": "1"})
    assert lenient["entry"][-1]["search"]["mode"] == "outcome"
    assert "colour" not in lenient["link"][0]["url"]
    assert client.get("Organization", {"_count": "many"}, status=400)["resourceType"]
    assert client.get("Organization", {"_page": "garbage"}, status=400)["resourceType"]
    assert client.get("Organization", {"_lastUpdated": "yesterday"}, status=400)["resourceType"]
    assert client.get("Organization", {"_include": "Patient:nothing"}, status=400)


# --- the directory -----------------------------------------------------------------------------


def test_organization_and_location_searches(fhir, worker):
    client = fhir(worker)
    station = worker.memberships.get().facility
    # Diacritics and case aside; each word begins a word of the name.
    found = client.get("Organization", {"name": "bao lam"})
    assert str(station.public_id) in ids(found)
    assert all("Bảo Lâm" in e["resource"]["name"] for e in found["entry"])
    assert ids(client.get("Organization", {"name": "ao lam"})) == []
    assert str(station.public_id) in ids(client.get("Organization", {"name:contains": "ao la"}))
    assert ids(client.get("Organization", {"name:exact": station.name})) == [str(station.public_id)]
    assert ids(client.get("Organization", {"name:exact": station.name.lower()})) == []
    by_code = client.get(
        "Organization",
        {"identifier": f"http://fhir.ehealth.gov.vn/core/sid/facility_code|{station.code}"},
    )
    assert ids(by_code) == [str(station.public_id)]
    assert ids(client.get("Organization", {"identifier": f"http://other|{station.code}"})) == []
    province = f"province-{station.province.code}"
    jurisdiction = client.get(f"Organization/{province}")
    assert jurisdiction["type"][0]["coding"][0]["code"] == "jurisdiction"
    in_province = client.get(
        "Organization", {"partof": f"Organization/{province}", "_count": "500"}
    )
    expected = set(
        Facility.objects.filter(province=station.province).values_list("public_id", flat=True)
    )
    assert set(ids(in_province)) == {str(p) for p in expected}
    stations = client.get("Organization", {"type": "station", "partof": province, "_count": "500"})
    assert {e["resource"]["type"][2]["coding"][0]["code"] for e in stations["entry"]} == {"station"}
    jurisdictions = client.get("Organization", {"type": "jurisdiction", "_count": "50"})
    assert len(ids(jurisdictions)) == 34
    Facility.objects.filter(pk=station.pk).update(status="inactive")
    assert str(station.public_id) in ids(client.get("Organization", {"active": "false"}))
    assert str(station.public_id) not in ids(
        client.get("Organization", {"active": "true", "partof": province, "_count": "500"})
    )
    Facility.objects.filter(pk=station.pk).update(status="active")
    # _id and _lastUpdated with prefixes.
    assert ids(client.get("Organization", {"_id": f"{station.public_id},{province}"})) == [
        province,
        str(station.public_id),
    ]
    Facility.objects.filter(pk=station.pk).update(updated_at=timezone.now() - timedelta(days=400))
    old_year = str((timezone.localdate() - timedelta(days=400)).year)
    assert str(station.public_id) in ids(
        client.get(
            "Organization", {"_lastUpdated": f"lt{timezone.localdate():%Y-%m-%d}", "_count": "500"}
        )
    )
    assert str(station.public_id) not in ids(
        client.get(
            "Organization",
            {
                "_lastUpdated": f"gt{timezone.localdate() - timedelta(days=2):%Y-%m-%d}",
                "_count": "500",
            },
        )
    )
    assert str(station.public_id) in ids(
        client.get("Organization", {"_lastUpdated": old_year, "name": "bao lam"})
    )
    # Locations: the facility's, managed by its Organization, in its province's jurisdiction.
    location = client.get(f"Location/{station.public_id}")
    assert location["managingOrganization"]["reference"] == f"Organization/{station.public_id}"
    assert location["partOf"]["reference"] == f"Location/{province}"
    assert ids(client.get("Location", {"organization": f"Organization/{station.public_id}"})) == [
        str(station.public_id)
    ]
    with_org = client.get(
        "Location",
        {"_id": str(station.public_id), "_include": "Location:organization"},
    )
    assert [e["resource"]["resourceType"] for e in with_org["entry"]] == [
        "Location",
        "Organization",
    ]
    assert_valid(found, location, jurisdiction, with_org, in_province)


def test_affiliations_practitioners_roles_and_services(fhir, worker, specialist, coordinator):
    client = fhir(worker)
    station = worker.memberships.get().facility
    hub = specialist.memberships.get().facility
    links = client.get(
        "OrganizationAffiliation",
        {"participating-organization": f"Organization/{station.public_id}", "_count": "50"},
    )
    expected = SupportLink.objects.filter(spoke=station)
    assert set(ids(links)) == {str(x.public_id) for x in expected}
    hub_links = client.get(
        "OrganizationAffiliation",
        {
            "primary-organization": str(hub.public_id),
            "specialty": "internal-medicine",
            "_include": "OrganizationAffiliation:participating-organization",
            "_count": "100",
        },
    )
    assert ids(hub_links)
    assert set(ids(hub_links)) == {
        str(x.public_id)
        for x in SupportLink.objects.filter(hub=hub, specialties__code="internal-medicine")
    }
    assert {
        e["resource"]["id"] for e in hub_links["entry"] if e["search"]["mode"] == "include"
    } == {
        str(x.spoke.public_id)
        for x in SupportLink.objects.filter(hub=hub, specialties__code="internal-medicine")
    }
    for e in hub_links["entry"]:
        if e["search"]["mode"] == "match":
            codes = {c["coding"][0]["code"] for c in e["resource"]["specialty"]}
            assert "internal-medicine" in codes
            assert e["resource"]["organization"]["reference"] == f"Organization/{hub.public_id}"
    # Practitioners by name (diacritics aside) and by licence.
    mai = client.get("Practitioner", {"name": "sung thi mai"})
    assert ids(mai) == [str(worker.public_id)]
    assert mai["entry"][0]["resource"]["name"][0]["family"] == "Sùng"
    licensed = Membership.objects.exclude(licence_number="").select_related("user").first()
    if licensed is None:
        licensed = specialist.memberships.get()
        licensed.licence_number = "001234/BYT-CCHN"
        licensed.save()
    by_licence = client.get(
        "Practitioner",
        {
            "identifier": f"http://fhir.ehealth.gov.vn/core/sid/practising_licence|{licensed.licence_number}"
        },
    )
    assert ids(by_licence) == [str(licensed.user.public_id)]
    # Roles at the hub, with the people and the organisation included.
    roles = client.get(
        "PractitionerRole",
        {
            "organization": f"Organization/{hub.public_id}",
            "role": "specialist",
            "specialty": "internal-medicine",
            "_include": ["PractitionerRole:practitioner", "PractitionerRole:organization"],
            "_count": "100",
        },
    )
    matched = [e["resource"] for e in roles["entry"] if e["search"]["mode"] == "match"]
    expected_roles = Membership.objects.filter(
        facility=hub, role="specialist", specialties__code="internal-medicine"
    )
    assert {r["id"] for r in matched} == {str(m.public_id) for m in expected_roles}
    included = {
        (e["resource"]["resourceType"], e["resource"]["id"])
        for e in roles["entry"]
        if e["search"]["mode"] == "include"
    }
    assert ("Organization", str(hub.public_id)) in included
    assert {("Practitioner", str(m.user.public_id)) for m in expected_roles} <= included
    of_person = client.get(
        "PractitionerRole", {"practitioner": f"Practitioner/{coordinator.public_id}"}
    )
    assert ids(of_person) == [str(m.public_id) for m in coordinator.memberships.all()]
    # The hub's teleconsultation services, one per specialty its links offer.
    services = client.get(
        "HealthcareService", {"organization": str(hub.public_id), "_count": "100"}
    )
    offered = set(Specialty.objects.filter(support_links__hub=hub).values_list("code", flat=True))
    assert {e["resource"]["type"][0]["coding"][0]["code"] for e in services["entry"]} == offered
    one = services["entry"][0]["resource"]
    assert client.get(f"HealthcareService/{one['id']}")["id"] == one["id"]
    paediatric = client.get("HealthcareService", {"service-type": "paediatrics", "_count": "100"})
    assert all(
        e["resource"]["specialty"][0]["coding"][0]["code"] == "paediatrics"
        for e in paediatric["entry"]
    )
    revinclude = client.get(
        "Organization",
        {"_id": str(station.public_id), "_revinclude": "PractitionerRole:organization"},
    )
    assert {
        e["resource"]["id"] for e in revinclude["entry"] if e["search"]["mode"] == "include"
    } == {str(m.public_id) for m in Membership.objects.filter(facility=station)}
    assert_valid(links, hub_links, mai, roles, services, revinclude)


def test_history_since_gives_what_changed_for_a_directory_to_sync(fhir, worker):
    """mCSD ITI-91: a directory asks what changed since its last sync."""
    client = fhir(worker)
    station = worker.memberships.get().facility
    long_ago = timezone.now() - timedelta(days=30)
    Facility.objects.update(updated_at=long_ago)
    Membership.objects.update(updated_at=long_ago)
    User.objects.update(updated_at=long_ago)
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert client.get("Location/_history", {"_since": since})["total"] == 0
    station.phone = "0206 3870 115"
    station.save()
    changed = client.get("Organization/_history", {"_since": since})
    assert [e["resource"]["id"] for e in changed["entry"]] == [str(station.public_id)]
    entry = changed["entry"][0]
    assert entry["request"] == {"method": "PUT", "url": f"Organization/{station.public_id}"}
    assert entry["response"]["etag"] == f'W/"{entry["resource"]["meta"]["versionId"]}"'
    assert entry["resource"]["telecom"][0]["value"] == "0206 3870 115"
    # A membership made inactive is a change too: the PractitionerRole comes back inactive.
    colleague = Membership.objects.get(user__username="worker.colleague")
    colleague.is_active = False
    colleague.save()
    roles = client.get("PractitionerRole/_history", {"_since": since})
    assert [(e["resource"]["id"], e["resource"]["active"]) for e in roles["entry"]] == [
        (str(colleague.public_id), False)
    ]
    # Without _since, everything; an unknown parameter is refused; the provinces changed at
    # the reform.
    assert (
        client.get("Organization/_history", {"_count": "1"})["total"]
        == Facility.objects.count() + 34
    )
    client.get("Organization/_history", {"name": "x"}, status=400)
    assert client.get("Organization/_history", {"_since": "2025-06-30"})["total"] >= 34
    assert_valid(changed, roles)


def test_paging_stays_stable_while_rows_are_inserted(fhir, worker):
    client = fhir(worker)
    before = set(Facility.objects.values_list("public_id", flat=True))
    first = client.get("Organization", {"type": "facility", "_count": "7"})
    total = first["total"]
    seen = ids(first)
    added = []
    bundle = first
    while next_link := next((k["url"] for k in bundle["link"] if k["relation"] == "next"), None):
        # A facility is added between two pages, each time.
        added.append(Facility.objects.get(pk=FacilityFactory().pk).public_id)  # type: ignore[attr-defined]
        bundle = client.client.get(next_link).json()
        assert bundle["total"] == total
        seen.extend(ids(bundle))
    assert len(seen) == len(set(seen)) == total == len(before)
    assert set(seen) == {str(p) for p in before}
    assert not set(seen) & {str(a) for a in added}
    # A new search sees them.
    assert client.get("Organization", {"type": "facility", "_count": "1"})["total"] == len(
        before
    ) + len(added)
    # Across sources: jurisdictions then facilities, in pages of 20.
    pages = _all_pages(client, "Organization", {"_count": "20"})
    every = [i for page in pages for i in ids(page)]
    assert len(every) == len(set(every)) == pages[0]["total"]


# --- patients: access, audit, conditional create, bad input ---------------------------------------


def test_a_client_of_one_facility_cannot_read_another_facilitys_patients(fhir, worker):
    neighbour = User.objects.get(username="worker.other")  # at the next station
    mine = make_patient(worker, name="Hầu Thị Dua", citizen_id="001190001234")
    theirs = make_patient(neighbour, name="Hầu Văn Chư", citizen_id="001190005678")
    client = fhir(worker)
    read = client.get(f"Patient/{mine.public_id}")
    assert read["name"][0]["text"] == "Hầu Thị Dua"
    assert {"system": "http://fhir.ehealth.gov.vn/core/sid/national_id"}.items() <= read[
        "identifier"
    ][1].items()
    assert client.get(f"Patient/{theirs.public_id}", status=404)["issue"][0]["code"] == "not-found"
    found = client.get("Patient", {"name": "hau"})
    assert ids(found) == [str(mine.public_id)]
    assert ids(client.get("Patient", {"identifier": "001190005678"})) == []
    assert ids(client.get("Patient", {"_id": str(theirs.public_id)})) == []
    assert ids(
        client.get(
            "Patient",
            {"identifier": "http://fhir.ehealth.gov.vn/core/sid/national_id|001190001234"},
        )
    ) == [str(mine.public_id)]
    assert ids(client.get("Patient", {"gender": "male", "name": "hau"})) == []
    assert ids(
        client.get("Patient", {"birthdate": f"le{timezone.localdate():%Y-%m-%d}", "name": "hau"})
    ) == [str(mine.public_id)]
    # Every read is in the audit trail, with the patient named.
    read_rows = AuditEvent.objects.filter(action="view", actor=worker)
    assert any(str(mine.public_id) in r.detail.get("patients", []) for r in read_rows)
    assert not any(str(theirs.public_id) in r.detail.get("patients", []) for r in read_rows)
    assert_valid(read, found)


def _patient(citizen="001190009999", **extra):
    return {
        "resourceType": "Patient",
        "identifier": [
            {"system": "http://fhir.ehealth.gov.vn/core/sid/national_id", "value": citizen}
        ],
        "name": [{"family": "Lò", "given": ["Văn Xuân"]}],
        "gender": "male",
        "birthDate": "1980-04-02",
        **extra,
    }


def test_create_and_conditional_create(fhir, worker):
    client = fhir(worker)
    made = client.post("Patient", _patient())
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["name"][0]["text"] == "Lò Văn Xuân"
    assert made["Location"].endswith(f"/Patient/{body['id']}/_history/{body['meta']['versionId']}")
    assert made["ETag"] == f'W/"{body["meta"]["versionId"]}"'
    assert made["Last-Modified"].endswith(" GMT")  # an HTTP date
    criteria = "identifier=http://fhir.ehealth.gov.vn/core/sid/national_id|001190009999"
    again = client.post("Patient", _patient(), HTTP_IF_NONE_EXIST=criteria)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    other = client.post(
        "Patient", _patient("001190008888"), HTTP_IF_NONE_EXIST="identifier=001190008888"
    )
    assert other.status_code == 201
    # The same identifier without the condition: refused, not doubled.
    twice = client.post("Patient", _patient())
    assert twice.status_code == 409
    assert twice.json()["resourceType"] == "OperationOutcome"
    assert Patient.objects.filter(citizen_id="001190009999").count() == 1
    assert_valid(body, again.json(), other.json())


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("{not json", 400, "structure"),
        ({"resourceType": "Practitioner"}, 400, "invalid"),
        ([1, 2], 400, "structure"),
        (_patient("123"), 422, "processing"),  # a citizen ID is 12 digits
        (_patient(gender="robot"), 422, "processing"),
        (_patient(birthDate="02/04/1980"), 400, "invalid"),
        (_patient(id="chosen-by-client"), 400, "invalid"),
        (_patient(name=[{"text": ""}]), 422, "processing"),
    ],
)
def test_bad_input_is_an_operation_outcome_and_changes_nothing(fhir, worker, body, status, code):
    client = fhir(worker)
    before = Patient.objects.count()
    answer = client.post("Patient", body if isinstance(body, str) else json.dumps(body))
    assert answer.status_code == status, answer.content
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == code
    assert outcome["issue"][0]["diagnostics"]
    assert Patient.objects.count() == before
    assert_valid(outcome)


def test_a_write_needs_a_token_and_a_clinical_role(worker, donor, fhir, login):
    session = login(worker)
    answer = session.post(f"{BASE}/Patient", json.dumps(_patient()), content_type=FHIR)
    assert answer.status_code == 401  # a session alone does not write (no CSRF token travels)
    assert session.get(f"{BASE}/Organization", {"_count": "1"}).status_code == 200
    refused = fhir(donor).post("Patient", _patient())
    assert refused.status_code == 403
    assert Patient.objects.filter(citizen_id="001190009999").count() == 0


def test_criteria_this_server_does_not_know_are_refused(fhir, worker):
    answer = fhir(worker).post("Patient", _patient(), HTTP_IF_NONE_EXIST="colour=green")
    assert answer.status_code == 400
    assert Patient.objects.filter(citizen_id="001190009999").count() == 0


def test_a_condition_of_result_parameters_alone_is_no_condition(fhir, worker):
    client = fhir(worker)
    make_patient(worker, name="Chỉ Một Người")
    made = client.post("Patient?_format=json", _patient("001190007777"))
    assert made.status_code == 201  # not "found": _format says nothing of the patient
    assert made.json()["identifier"][1]["value"] == "001190007777"


def test_a_holder_of_the_bodys_identifier_who_does_not_match_the_condition_is_a_conflict(
    fhir, worker
):
    client = fhir(worker)
    client.post("Patient", _patient("001190006666"))
    other = client.post(
        "Patient", _patient("001190006666"), HTTP_IF_NONE_EXIST="identifier=001190005555"
    )
    assert other.status_code == 409
    assert other.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    "params",
    [
        {"_page": "eyJzb3VyY2UiOi0xLCJhZnRlciI6MCwiYm91bmRzIjpbMCwwXX0="},  # source -1
        {"_page": "eyJzb3VyY2UiOjAsImFmdGVyIjoxZTk5OSwiYm91bmRzIjpbMCwwXX0="},  # after 1e999
        {"_lastUpdated": "9999-12"},
        {"_lastUpdated": "ge9999-12-31T23:59:59"},
        {"_count": "²"},
        {"partof": "Organization/province-²"},
    ],
)
def test_tampered_or_odd_values_are_a_400_not_a_crash(fhir, worker, params):
    answer = fhir(worker).client.get(f"{BASE}/Organization", params)
    assert answer.status_code in (200, 400)
    assert answer.json()["resourceType"] in ("OperationOutcome", "Bundle")
    if "_page" in params or "_count" in params or "_lastUpdated" in params:
        assert answer.status_code == 400


def test_a_person_made_inactive_changes_their_roles_for_a_directory_to_sync(fhir, worker):
    client = fhir(worker)
    since = (timezone.now() - timedelta(minutes=1)).isoformat()
    Membership.objects.update(updated_at=timezone.now() - timedelta(days=3))
    User.objects.update(updated_at=timezone.now() - timedelta(days=3))
    colleague = User.objects.get(username="worker.colleague")
    colleague.is_active = False
    colleague.save()
    roles = client.get("PractitionerRole/_history", {"_since": since})
    assert [(e["resource"]["id"], e["resource"]["active"]) for e in roles["entry"]] == [
        (str(m.public_id), False) for m in colleague.memberships.all()
    ]
    people = client.get("Practitioner/_history", {"_since": since})
    assert [e["resource"]["id"] for e in people["entry"]] == [str(colleague.public_id)]


def test_patient_searches_count_only_when_asked_or_known(fhir, worker):
    client = fhir(worker)
    for n in range(3):
        make_patient(worker, name=f"Đếm Thử {n}")
    first = client.get("Patient", {"name": "dem thu", "_count": "2"})
    assert "total" not in first  # counting every visible patient costs a scan at scale
    assert any(link["relation"] == "next" for link in first["link"])
    asked = client.get("Patient", {"name": "dem thu", "_count": "2", "_total": "accurate"})
    assert asked["total"] == 3
    whole = client.get("Patient", {"name": "dem thu", "_count": "10"})
    assert whole["total"] == 3  # one page holds it all: known without counting
    assert client.get("Organization", {"_count": "1"})["total"] > 1  # the directory counts
