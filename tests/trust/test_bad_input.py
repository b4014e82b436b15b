"""Bad input gets a clear, translated message and changes nothing; no input yields a 500, and a
crash still answers in the documented shape (JSON under /api/, the site's layout on pages)."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from caunoi.config.api import api
from caunoi.consults.tests.factories import summary
from caunoi.patients.models import Patient
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db

BIG = 2**63


def _list_operations(parameter: str) -> list[str]:
    """The API's GET paths (without path parameters) that take ``parameter``."""
    doc = api.get_openapi_schema()
    return sorted(
        path
        for path, operations in doc["paths"].items()
        if "{" not in path
        and any(p["name"] == parameter for p in operations.get("get", {}).get("parameters", []))
    )


def test_every_list_refuses_an_offset_beyond_any_list(worker, api_client):
    paths = _list_operations("offset")
    assert len(paths) >= 8
    client = api_client(worker)
    for path in paths:
        for offset in (BIG, 10**30):
            response = client.get(path, {"offset": offset})
            assert response.status_code == 422, path
            body = response.json()
            assert body["code"] == "validation_error"
            assert [e["field"] for e in body["errors"]] == ["offset"]


def test_a_nul_character_in_a_search_is_refused_with_the_field_named(worker, api_client):
    paths = _list_operations("q")
    assert {"/api/patients", "/api/facilities", "/api/communes"} <= set(paths)
    client = api_client(worker)
    for path in paths:
        response = client.get(path, {"q": "Lũng\x00Cú"}, headers={"Accept-Language": "vi"})
        assert response.status_code == 422, path
        body = response.json()
        assert body["errors"][0]["field"] == "q"
        assert "NUL" in body["errors"][0]["message"]
        assert body["message"] == "Một số giá trị không hợp lệ."


@pytest.mark.parametrize("bad", ["\u0000", "\ud800"])
def test_unstorable_text_in_a_json_body_changes_nothing(bad, worker, api_client):
    client = api_client(worker)
    patients = Patient.objects.count()
    station = worker.memberships.get().facility
    response = client.post(
        "/api/patients",
        json.dumps(
            {
                "full_name": f"Giàng{bad}Thị Dợ",
                "sex": "female",
                "age_years": 30,
                "commune": station.commune.code,
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "full_name"
    assert Patient.objects.count() == patients
    patient = make_patient(worker)
    consult = client.post(
        "/api/consults",
        json.dumps(
            {"patient": str(patient.public_id), "specialty": "internal-medicine", **summary()}
            | {"question": f"Có cần chuyển{bad}viện?"}
        ),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert consult.status_code == 422
    assert consult.json()["errors"][0]["field"] == "question"
    assert not patient.consultations.exists()


def test_a_nul_character_in_a_page_search_answers_a_vietnamese_page(worker, login):
    for path in ("/patients/", "/network/facilities/"):
        response = login(worker).get(path, {"q": "a\x00b"})
        assert response.status_code == 400
        page = response.content.decode()
        assert "Không đọc được yêu cầu" in page
        assert 'class="top"' in page  # the site's layout, with its menu


def test_a_form_with_a_nul_character_changes_nothing(worker, login):
    client = login(worker)
    before = Patient.objects.count()
    response = client.post("/patients/new/", {"full_name": "A\x00B", "sex": "female"})
    assert response.status_code == 400
    assert Patient.objects.count() == before


def test_an_unknown_page_answers_vietnamese_in_the_layout_and_english_on_request(worker, login):
    client = login(worker)
    page = client.get("/khong-co-trang-nay/")
    assert page.status_code == 404
    text = page.content.decode()
    assert "Không tìm thấy trang" in text
    assert 'class="top"' in text
    client.cookies["django_language"] = "en"
    english = client.get("/khong-co-trang-nay/")
    assert "Page not found" in english.content.decode()


def test_an_unknown_api_path_answers_the_error_shape(worker, api_client):
    response = api_client(worker).get("/api/khong-co")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": response.json()["message"],
        "errors": [],
    }
    assert response.json()["message"]


def test_a_crash_in_the_api_answers_the_documented_shape(worker, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("caunoi.places.api.province_list", broken)
    from caunoi.accounts.services import api_token_create

    _row, token = api_token_create(user=worker, name="t", actor=worker)
    client = Client(headers={"Authorization": f"Bearer {token}"}, raise_request_exception=False)
    response = client.get("/api/provinces")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "error"
    assert body["errors"] == []
    assert "boom" not in body["message"]


def test_a_crash_on_a_page_answers_a_vietnamese_page_in_the_layout(worker, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("caunoi.home.views.queues_for", broken)
    client = Client(raise_request_exception=False)
    client.force_login(worker)
    response = client.get("/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "Đã xảy ra lỗi" in text
    assert "boom" not in text


def test_an_expired_form_answers_a_translated_page(worker):
    client = Client(enforce_csrf_checks=True)
    client.force_login(worker)
    response = client.post("/patients/new/", {"full_name": "Giàng Thị Dợ"})
    assert response.status_code == 403
    assert "Biểu mẫu đã hết hạn" in response.content.decode()


def test_a_lost_database_connection_answers_503_with_retry_after(worker, monkeypatch):
    from django.db import OperationalError

    def unreachable(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("caunoi.places.api.province_list", unreachable)
    from caunoi.accounts.services import api_token_create

    _row, token = api_token_create(user=worker, name="t", actor=worker)
    client = Client(headers={"Authorization": f"Bearer {token}"}, raise_request_exception=False)
    response = client.get("/api/provinces")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "unavailable"


def test_json_nested_deeper_than_any_parser_goes_is_refused(worker, api_client):
    before = Patient.objects.count()
    for depth in (1_500, 100_000):
        body = "[" * depth + "]" * depth
        response = api_client(worker).post("/api/patients", body, content_type="application/json")
        assert response.status_code == 422, depth
        assert response.json()["code"] == "validation_error"
    assert Patient.objects.count() == before
