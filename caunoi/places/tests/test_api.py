import pytest

pytestmark = pytest.mark.django_db


def test_api_lists_the_34_provinces_of_the_2025_reform(api_client, worker):
    response = api_client(worker).get("/api/provinces?limit=100")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 34
    names = {p["name"] for p in body["items"]}
    assert "Thành phố Huế" in names
    assert "Tỉnh Tuyên Quang" in names
    # Hà Giang was merged into Tuyên Quang: its old code 2 is kept for old records.
    tuyen_quang = next(p for p in body["items"] if p["code"] == 8)
    assert tuyen_quang["legacy_codes"] == [2, 8]


def test_api_counts_3321_communes(api_client, worker):
    response = api_client(worker).get("/api/communes?limit=1")
    assert response.status_code == 200
    assert response.json()["count"] == 3321


def test_api_filters_communes_by_province(api_client, worker):
    body = api_client(worker).get("/api/communes?province=46&limit=500").json()
    assert body["count"] == 40
    assert {c["province_code"] for c in body["items"]} == {46}
