from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_check_answers_signs_instructions_and_version(api_client, worker) -> None:
    client = api_client(worker)
    response = client.post(
        "/api/triage/check",
        {"age_months": 1, "sex": "male", "signs": ["chest_indrawing"], "temperature": "36.8"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["urgency"] == "emergency"
    assert [s["id"] for s in data["signs"]] == ["yi-chest-indrawing"]
    assert data["signs"][0]["label"] == "Trẻ nhỏ rút lõm lồng ngực nặng"
    assert data["signs"][0]["source"].startswith("WHO. Integrated Management of Childhood Illness")
    assert data["instructions"][0].startswith("Chuyển tuyến khẩn cấp")
    assert [m["name"] for m in data["missing"]] == ["respiratory_rate", "spo2", "consciousness"]
    assert data["missing"][1]["label"] == "SpO₂"
    assert data["version"] == "2026.11-2"
    assert "không chẩn đoán" in data["notice"]


def test_adult_score_in_english(api_client, worker) -> None:
    client = api_client(worker)
    response = client.post(
        "/api/triage/check",
        {
            "age_months": 480,
            "respiratory_rate": 22,
            "spo2": 93,
            "pulse": 112,
            "systolic": 120,
            "temperature": "38.5",
            "consciousness": "A",
        },
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    data = response.json()
    assert data["score"] == {"id": "news2", "total": 7, "complete": True}
    assert data["urgency"] == "emergency"
    assert data["signs"][0]["label"] == "NEWS2 of 7 (high risk)"
    assert data["missing"] == []


def test_unknown_sign_is_refused_with_a_message(api_client, worker) -> None:
    response = api_client(worker).post(
        "/api/triage/check",
        {"age_months": 30, "signs": ["vomits_everything", "hiccups"]},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [{"field": "signs", "message": "Dấu hiệu không rõ: hiccups."}]


def test_an_implausible_measurement_is_refused(api_client, worker) -> None:
    response = api_client(worker).post(
        "/api/triage/check",
        {"age_months": 30, "spo2": 120},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "spo2"


def test_anonymous_is_refused(client) -> None:
    response = client.post("/api/triage/check", {"age_months": 30}, content_type="application/json")
    assert response.status_code == 401


def test_a_sign_not_asked_at_this_age_or_sex_is_refused(api_client, worker) -> None:
    """Pregnancy ticked for a man is refused by name, not read silently (it changes nothing in
    the check, which reads it as not ticked)."""
    response = api_client(worker).post(
        "/api/triage/check",
        {"age_months": 600, "sex": "male", "signs": ["pregnant", "on_oxygen"], "spo2": 92},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "signs",
            "message": "Các dấu hiệu này không hỏi ở tuổi hoặc giới của người bệnh: Đang mang thai.",
        }
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [("temperature", "35.04"), ("spo2", 91.5), ("respiratory_rate", 8.5), ("pulse", "40.5")],
)
def test_more_decimals_than_the_chart_reads_are_refused(api_client, worker, field, value) -> None:
    """The bands are read at the chart's precision (temperature to a tenth, the rest whole):
    35.04 °C would otherwise fall into the band above 35.0 and score 1 point instead of 3."""
    response = api_client(worker).post(
        "/api/triage/check",
        {"age_months": 480, field: value},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
