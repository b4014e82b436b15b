"""The JSON API of the network registry: /api/facilities, /api/specialties, /api/support-links,
their errors, authentication and the OpenAPI document."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from caunoi.accounts.services import api_token_create, api_token_revoke
from caunoi.network.models import Facility, Specialty, Status, SupportLink

# Demo facts: the registry of the demo network (or its generators).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_network")]


LUNG_CU = "Trạm Y tế xã Lũng Cú"
HUE = "Bệnh viện Trung ương Huế"
BACH_MAI = "Bệnh viện Bạch Mai"
NHI_TW = "Bệnh viện Nhi Trung ương"


def facility(name: str) -> Facility:
    return Facility.objects.get(name=name)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    assert body["code"] == code
    assert body["message"]
    return body


# --- /api/facilities ---------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["tram y te lung cu", "TRAM Y TE LUNG CU", "Trạm Y tế xã Lũng Cú"])
def test_facility_search_ignores_diacritics_and_case(api_client, worker, q):
    lung_cu = facility(LUNG_CU)

    body = api_client(worker).get("/api/facilities", {"q": q}).json()

    assert body["count"] == 1
    assert [f["name"] for f in body["items"]] == [LUNG_CU]
    item = body["items"][0]
    assert item["id"] == str(lung_cu.public_id)
    assert item["code"] == lung_cu.code
    assert item["province_code"] == 8
    assert item["commune_code"] == 715
    assert item["kind"] == "station"
    assert item["level"] == "initial"
    assert item["is_hub"] is False
    assert item["url"] == f"/network/facilities/{lung_cu.public_id}/"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"province": 8}, {"province__code": 8}),
        ({"province": 46, "kind": "station"}, {"province__code": 46, "kind": "station"}),
        ({"commune": 715}, {"commune__code": 715}),
        ({"kind": "regional_centre"}, {"kind": "regional_centre"}),
        ({"level": "basic"}, {"level": "basic"}),
        ({"kind": "health_department"}, {"kind": "health_department"}),
        ({"hub": "true"}, {"is_hub": True}),
        ({"hub": "false", "province": 19}, {"is_hub": False, "province__code": 19}),
    ],
)
def test_facility_filters_return_exactly_the_matching_facilities(
    api_client, worker, params, expected
):
    wanted = Facility.objects.active().filter(**expected)
    wanted_ids = {str(u) for u in wanted.values_list("public_id", flat=True)}
    assert 0 < len(wanted_ids) <= 500

    body = api_client(worker).get("/api/facilities", {**params, "limit": 500}).json()

    assert body["count"] == len(wanted_ids)
    assert {f["id"] for f in body["items"]} == wanted_ids
    for item in body["items"]:
        if "province" in params:
            assert item["province_code"] == params["province"]
        if "kind" in params:
            assert item["kind"] == params["kind"]
        if "level" in params:
            assert item["level"] == params["level"]
        if "hub" in params:
            assert item["is_hub"] is (params["hub"] == "true")


def test_facility_list_pages_with_limit_and_offset(api_client, worker):
    client = api_client(worker)
    total = Facility.objects.active().filter(province__code=8).count()

    first = client.get("/api/facilities", {"province": 8, "limit": 5}).json()
    second = client.get("/api/facilities", {"province": 8, "limit": 5, "offset": 5}).json()
    both = client.get("/api/facilities", {"province": 8, "limit": 10}).json()

    assert set(first) == {"items", "count"}
    assert first["count"] == second["count"] == total
    assert len(first["items"]) == len(second["items"]) == 5
    assert [f["id"] for f in first["items"] + second["items"]] == [f["id"] for f in both["items"]]
    assert not {f["id"] for f in first["items"]} & {f["id"] for f in second["items"]}


def test_facility_list_ids_are_uuids_never_integer_keys(api_client, worker):
    body = api_client(worker).get("/api/facilities", {"province": 8, "limit": 50}).json()
    by_public_id = {
        str(public_id): pk
        for public_id, pk in Facility.objects.filter(province__code=8).values_list(
            "public_id", "pk"
        )
    }

    assert len(body["items"]) == 50
    for item in body["items"]:
        assert str(uuid.UUID(item["id"])) == item["id"]
        assert item["id"] in by_public_id
        assert "pk" not in item
        assert f"/{by_public_id[item['id']]}/" not in item["url"]


def test_worker_does_not_see_inactive_facilities_but_admin_does(api_client, worker, network_admin):
    lung_cu = facility(LUNG_CU)
    Facility.objects.filter(pk=lung_cu.pk).update(status=Status.INACTIVE)

    params = {"commune": 715, "kind": "station"}
    seen_by_worker = api_client(worker).get("/api/facilities", params).json()
    seen_by_admin = api_client(network_admin).get("/api/facilities", params).json()

    assert seen_by_worker == {"items": [], "count": 0}
    assert [f["id"] for f in seen_by_admin["items"]] == [str(lung_cu.public_id)]
    assert seen_by_admin["items"][0]["status"] == "inactive"


def test_misspelt_filter_is_refused_instead_of_returning_everything(api_client, worker):
    response = api_client(worker).get("/api/facilities", {"provice": 8})

    body = assert_error(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["provice"]
    assert "items" not in body


@pytest.mark.parametrize(("field", "value"), [("kind", "hospital"), ("level", "advanced")])
def test_unknown_kind_or_level_is_422(api_client, worker, field, value):
    response = api_client(worker).get("/api/facilities", {field: value})

    body = assert_error(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == [field]
    assert "items" not in body


def test_limit_above_the_maximum_is_422(api_client, worker):
    body = assert_error(
        api_client(worker).get("/api/facilities", {"limit": 100_000}), 422, "validation_error"
    )
    assert [e["field"] for e in body["errors"]] == ["limit"]


# --- /api/facilities/{id} ----------------------------------------------------------------------


def test_facility_detail_lists_hubs_per_specialty_first_hub_first(api_client, worker):
    lung_cu, hue, bach_mai, nhi = (facility(n) for n in (LUNG_CU, HUE, BACH_MAI, NHI_TW))

    response = api_client(worker).get(f"/api/facilities/{lung_cu.public_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(lung_cu.public_id)
    assert body["name"] == LUNG_CU
    hubs = {entry["specialty"]: [h["id"] for h in entry["hubs"]] for entry in body["hubs"]}
    assert hubs["internal-medicine"] == [str(hue.public_id), str(bach_mai.public_id)]
    assert hubs["paediatrics"] == [str(nhi.public_id)]
    common = list(Specialty.objects.filter(is_common=True).values_list("code", flat=True))
    assert [entry["specialty"] for entry in body["hubs"]] == common


def test_unknown_facility_id_is_404_with_the_error_shape(api_client, worker):
    response = api_client(worker).get(f"/api/facilities/{uuid.uuid4()}")

    body = assert_error(response, 404, "not_found")
    assert body["errors"] == []


def test_inactive_facility_is_404_for_a_worker(api_client, worker):
    lung_cu = facility(LUNG_CU)
    Facility.objects.filter(pk=lung_cu.pk).update(status=Status.INACTIVE)

    response = api_client(worker).get(f"/api/facilities/{lung_cu.public_id}")

    assert_error(response, 404, "not_found")


def test_integer_key_is_not_accepted_as_a_facility_id(api_client, worker):
    lung_cu = facility(LUNG_CU)

    response = api_client(worker).get(f"/api/facilities/{lung_cu.pk}")

    body = assert_error(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["facility_id"]


def test_malformed_facility_id_is_422_naming_the_field(api_client, worker):
    response = api_client(worker).get("/api/facilities/not-a-uuid")

    body = assert_error(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["facility_id"]


def test_facility_detail_refuses_query_parameters(api_client, worker):
    lung_cu = facility(LUNG_CU)

    response = api_client(worker).get(f"/api/facilities/{lung_cu.public_id}", {"expand": "1"})

    body = assert_error(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["expand"]


# --- /api/specialties --------------------------------------------------------------------------


def test_specialties_lists_the_catalogue_in_order(api_client, worker):
    body = api_client(worker).get("/api/specialties", {"limit": 100}).json()

    catalogue = list(Specialty.objects.order_by("sort_order", "code"))
    assert body["count"] == len(catalogue) == 18
    assert [s["code"] for s in body["items"]] == [s.code for s in catalogue]
    internal = body["items"][0]
    assert internal == {
        "code": "internal-medicine",
        "name_vi": "Nội khoa",
        "name_en": "Internal medicine",
        "is_common": True,
    }
    assert sum(s["is_common"] for s in body["items"]) == 9


def test_specialties_refuse_unknown_parameters(api_client, worker):
    body = assert_error(
        api_client(worker).get("/api/specialties", {"common": "true"}), 422, "validation_error"
    )
    assert [e["field"] for e in body["errors"]] == ["common"]


# --- /api/support-links ------------------------------------------------------------------------


def test_support_links_of_a_spoke(api_client, worker):
    lung_cu, hue, bach_mai, nhi = (facility(n) for n in (LUNG_CU, HUE, BACH_MAI, NHI_TW))

    body = api_client(worker).get("/api/support-links", {"spoke": str(lung_cu.public_id)}).json()

    assert body["count"] == 3
    assert {link["spoke"]["id"] for link in body["items"]} == {str(lung_cu.public_id)}
    by_hub = {link["hub"]["id"]: link for link in body["items"]}
    assert set(by_hub) == {str(hue.public_id), str(bach_mai.public_id), str(nhi.public_id)}
    assert by_hub[str(hue.public_id)]["priority"] == 1
    assert by_hub[str(bach_mai.public_id)]["priority"] == 2
    assert "internal-medicine" in by_hub[str(hue.public_id)]["specialties"]
    assert "paediatrics" not in by_hub[str(hue.public_id)]["specialties"]
    assert by_hub[str(nhi.public_id)]["specialties"] == ["paediatrics"]
    stored = SupportLink.objects.get(hub=hue, spoke=lung_cu)
    assert by_hub[str(hue.public_id)]["id"] == str(stored.public_id)


def test_support_links_filtered_by_specialty(api_client, worker):
    lung_cu, nhi = facility(LUNG_CU), facility(NHI_TW)

    body = (
        api_client(worker)
        .get("/api/support-links", {"spoke": str(lung_cu.public_id), "specialty": "paediatrics"})
        .json()
    )

    assert [link["hub"]["id"] for link in body["items"]] == [str(nhi.public_id)]
    assert body["count"] == 1


def test_support_links_refuse_an_unknown_specialty_code(api_client, worker):
    response = api_client(worker).get("/api/support-links", {"specialty": "astrology"})

    body = assert_error(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["specialty"]
    assert "items" not in body


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/api/facilities", "/api/specialties", "/api/support-links", "/api/facilities/{lung_cu}"],
)
def test_anonymous_request_is_401_with_the_error_shape(url):
    lung_cu = facility(LUNG_CU)

    response = Client().get(url.format(lung_cu=lung_cu.public_id))

    body = assert_error(response, 401, "unauthenticated")
    assert body["errors"] == []
    assert "items" not in body
    assert "name" not in body


def test_wrong_token_is_401():
    client = Client(headers={"Authorization": "Bearer cn_00000000_not-a-real-token"})

    assert_error(client.get("/api/specialties"), 401, "unauthenticated")


def test_revoked_token_is_401(worker):
    row, token = api_token_create(user=worker, name="script", actor=worker)
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/specialties").status_code == 200

    api_token_revoke(token=row, actor=worker)

    assert_error(client.get("/api/specialties"), 401, "unauthenticated")


def test_token_of_a_deactivated_user_is_401(worker):
    _row, token = api_token_create(user=worker, name="script", actor=worker)
    worker.is_active = False
    worker.save(update_fields=["is_active"])

    response = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/specialties")

    assert_error(response, 401, "unauthenticated")


def test_session_authentication_works_too(login, worker):
    response = login(worker).get("/api/specialties", {"limit": 3})

    assert response.status_code == 200
    assert [s["code"] for s in response.json()["items"]] == [
        "internal-medicine",
        "paediatrics",
        "obstetrics-gynaecology",
    ]


# --- documentation -----------------------------------------------------------------------------


def test_openapi_document_lists_the_fixed_paths(api_client, worker):
    response = api_client(worker).get("/api/openapi.json")

    assert response.status_code == 200
    paths = set(response.json()["paths"])
    assert {
        "/api/provinces",
        "/api/communes",
        "/api/facilities",
        "/api/facilities/{facility_id}",
        "/api/specialties",
        "/api/support-links",
    } <= paths


def test_api_docs_answer_html_pointing_at_the_openapi_document(login, worker):
    response = login(worker).get("/api/docs")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"/api/openapi.json" in response.content


def test_api_docs_scripts_are_allowed_by_the_content_security_policy(login, worker):
    response = login(worker).get("/api/docs")

    policy = response["Content-Security-Policy"]
    found = re.search(r"script-src ([^;]*)", policy)
    assert found is not None
    script_src = found.group(1).split()
    assert "'unsafe-inline'" not in script_src
    html = response.content.decode()
    external = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    assert all(src.startswith("/") and not src.startswith("//") for src in external), external
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)([^>]*)>", html)
    assert all("nonce=" in attrs for attrs in inline), inline


# --- query counts ------------------------------------------------------------------------------


def _queries(django_assert_max_num_queries, client, url, params, limit):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured.captured_queries), response.json()


def test_facility_list_query_count_does_not_grow_with_the_page_size(
    login, worker, django_assert_max_num_queries
):
    client = login(worker)
    client.get("/api/facilities", {"limit": 1})

    small, few = _queries(django_assert_max_num_queries, client, "/api/facilities", {"limit": 5}, 8)
    large, many = _queries(
        django_assert_max_num_queries, client, "/api/facilities", {"limit": 100}, 8
    )

    assert (len(few["items"]), len(many["items"])) == (5, 100)
    assert small == large


def test_support_link_list_query_count_does_not_grow_with_the_page_size(
    login, worker, django_assert_max_num_queries
):
    client = login(worker)
    client.get("/api/support-links", {"limit": 1})

    small, few = _queries(
        django_assert_max_num_queries, client, "/api/support-links", {"limit": 5}, 9
    )
    large, many = _queries(
        django_assert_max_num_queries, client, "/api/support-links", {"limit": 100}, 9
    )

    assert (len(few["items"]), len(many["items"])) == (5, 100)
    assert small == large


def test_specialty_list_query_count_does_not_grow_with_the_page_size(
    login, worker, django_assert_max_num_queries
):
    client = login(worker)
    client.get("/api/specialties", {"limit": 1})

    small, few = _queries(
        django_assert_max_num_queries, client, "/api/specialties", {"limit": 2}, 6
    )
    large, many = _queries(
        django_assert_max_num_queries, client, "/api/specialties", {"limit": 18}, 6
    )

    assert (len(few["items"]), len(many["items"])) == (2, 18)
    assert small == large
