"""A diagnosis reads in the reader's language: Vietnamese titles on Vietnamese pages, English on
English ones, Vietnamese always in the documents (the consultation minutes and the referral
slip are Vietnamese records), and both in the API with the title in the request's language."""

from __future__ import annotations

import uuid
from io import BytesIO

import pytest
from pypdf import PdfReader

from caunoi.codes.models import IcdCode
from caunoi.consults.models import Status
from caunoi.consults.services import (
    ConsultationInput,
    advice_record,
    consultation_claim,
    consultation_close,
    consultation_submit,
)
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.patients.tests.factories import make_patient
from caunoi.referrals.tests.factories import make_referral

pytestmark = pytest.mark.django_db

PNEUMONIA_VI = "Viêm phổi, không xác định"
PNEUMONIA_EN = "Pneumonia, unspecified"
HYPERTENSION_VI = "Tăng huyết áp vô căn (nguyên phát)"
HYPERTENSION_EN = "Essential (primary) hypertension"


def pdf_text(content: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(BytesIO(content)).pages)


@pytest.fixture
def closed(worker, specialist):
    """A consultation answered with J18.9 and I10, then closed."""
    c = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=make_patient(worker),
            specialty=internal_medicine(),
            urgency="urgent",
            summary=summary(),
            uploads=[],
        ),
    )[0]
    consultation_claim(consultation=c, actor=specialist)
    c.refresh_from_db()
    advice_record(
        consultation=c,
        actor=specialist,
        advice="Kháng sinh, theo dõi tại trạm.",
        outcome="manage_locally",
        diagnoses=list(IcdCode.objects.filter(code__in=["J18.9", "I10"])),
    )
    c.refresh_from_db()
    consultation_close(consultation=c, actor=worker, action_taken="Điều trị tại trạm.")
    c.refresh_from_db()
    assert c.status == Status.CLOSED
    return c


def test_vietnamese_consult_page_shows_vietnamese_diagnoses(closed, worker, page_in):
    html = page_in(worker, "vi").get(f"/consults/{closed.public_id}/").content.decode()
    assert f"J18.9 {PNEUMONIA_VI}" in html
    assert f"I10 {HYPERTENSION_VI}" in html
    assert PNEUMONIA_EN not in html


def test_english_consult_page_shows_english_diagnoses(closed, worker, page_in):
    html = page_in(worker, "en").get(f"/consults/{closed.public_id}/").content.decode()
    assert f"J18.9 {PNEUMONIA_EN}" in html
    assert f"I10 {HYPERTENSION_EN}" in html
    assert PNEUMONIA_VI not in html


@pytest.mark.parametrize("language", ["vi", "en"])
def test_minutes_pdf_names_the_diagnoses_in_vietnamese(closed, worker, page_in, language):
    pdf = page_in(worker, language).get(f"/consults/{closed.public_id}/minutes.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(pdf.content).split())
    assert f"J18.9 {PNEUMONIA_VI}" in text
    assert "Tăng huyết áp vô căn" in text
    assert "Pneumonia" not in text


def test_minutes_pdf_uses_the_english_title_only_where_there_is_no_vietnamese_one(
    closed, worker, page_in
):
    closed.diagnoses.add(IcdCode.objects.get(code="A00.0"))
    pdf = page_in(worker, "vi").get(f"/consults/{closed.public_id}/minutes.pdf")
    text = " ".join(pdf_text(pdf.content).split())
    assert "A00.0 Cholera due to Vibrio cholerae" in text
    assert f"J18.9 {PNEUMONIA_VI}" in text


@pytest.fixture
def referral(worker):
    return make_referral(
        worker,
        make_patient(worker),
        diagnoses=list(IcdCode.objects.filter(code__in=["I10", "I20.9"])),
    )


@pytest.mark.parametrize("language", ["vi", "en"])
def test_referral_slip_names_the_diagnoses_in_vietnamese(referral, worker, page_in, language):
    pdf = page_in(worker, language).get(f"/referrals/{referral.public_id}/slip.pdf")
    text = " ".join(pdf_text(pdf.content).split())
    assert f"I10 {HYPERTENSION_VI}" in text
    assert "I20.9 Cơn đau thắt ngực, không xác định" in text
    assert "hypertension" not in text


def test_referral_page_shows_diagnoses_in_the_readers_language(referral, worker, page_in):
    vi = page_in(worker, "vi").get(f"/referrals/{referral.public_id}/").content.decode()
    en = page_in(worker, "en").get(f"/referrals/{referral.public_id}/").content.decode()
    assert f"I10 {HYPERTENSION_VI}" in vi
    assert f"I10 {HYPERTENSION_EN}" in en


@pytest.mark.parametrize(("language", "title"), [("vi", PNEUMONIA_VI), ("en", PNEUMONIA_EN)])
def test_api_gives_the_title_in_the_requests_language_and_both_titles(
    closed, worker, api_client, language, title
):
    body = (
        api_client(worker)
        .get(f"/api/consults/{closed.public_id}", headers={"Accept-Language": language})
        .json()
    )
    j189 = next(d for d in body["diagnoses"] if d["code"] == "J18.9")
    assert j189 == {
        "code": "J18.9",
        "title": title,
        "title_en": PNEUMONIA_EN,
        "title_vi": PNEUMONIA_VI,
        "title_vi_source": "caunoi",
    }


def test_api_says_when_a_code_has_no_vietnamese_title(closed, worker, api_client):
    closed.diagnoses.add(IcdCode.objects.get(code="A00.0"))
    body = api_client(worker).get(f"/api/consults/{closed.public_id}").json()
    a000 = next(d for d in body["diagnoses"] if d["code"] == "A00.0")
    assert a000["title"] == a000["title_en"] == "Cholera due to Vibrio cholerae 01, biovar cholerae"
    assert a000["title_vi"] is None
    assert a000["title_vi_source"] is None


def test_referral_api_lists_codes_and_their_titles(referral, worker, api_client):
    body = (
        api_client(worker)
        .get(f"/api/referrals/{referral.public_id}", headers={"Accept-Language": "vi"})
        .json()
    )
    assert sorted(body["diagnoses"]) == ["I10", "I20.9"]
    titles = {d["code"]: d["title"] for d in body["diagnosis_titles"]}
    assert titles == {"I10": HYPERTENSION_VI, "I20.9": "Cơn đau thắt ngực, không xác định"}
