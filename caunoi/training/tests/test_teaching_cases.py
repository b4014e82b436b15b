"""Every closed case a lesson: the de-identified copy leaks nothing of the patient (not into the
case, its page, its API answer), photos come back without metadata, a reviewer at the hub
approves it, and nobody reaches the record through it."""

import io
import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from PIL import Image

from caunoi.codes.models import IcdCode
from caunoi.consults.services import (
    ConsultationInput,
    Upload,
    advice_record,
    consultation_claim,
    consultation_close,
    consultation_submit,
)
from caunoi.consults.tests.factories import internal_medicine, jpeg_bytes, summary
from caunoi.core.text import fold
from caunoi.patients.tests.factories import make_patient
from caunoi.training.models import CaseStatus, TeachingCase
from caunoi.training.services import teaching_case_propose, teaching_case_review

pytestmark = pytest.mark.django_db

NAME = "Giàng Thị Dợ"
CITIZEN_ID = "001234567890"
PHONE = "0912345678"
RELATIVE = "Lò Thị Mai"
SECRETS = [NAME, CITIZEN_ID, PHONE, RELATIVE, "Dợ", "0912 345 678", "Pá Hu", "03/05/2026"]


@pytest.fixture
def closed(worker, specialist):
    patient = make_patient(worker, name=NAME, citizen_id=CITIZEN_ID, phone=PHONE)
    c = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=patient,
            specialty=internal_medicine(),
            urgency="urgent",
            summary=summary(
                reason=f"Chị {NAME} (CCCD {CITIZEN_ID}) sốt cao từ 03/05/2026, ho có đờm",
                history=f"Con gái là {RELATIVE} đưa đến trạm; ở bản Pá Hu. Gọi 0912 345 678.",
                question="Bà Dợ có cần chuyển viện không?",
            ),
            uploads=[Upload("phoi.jpg", jpeg_bytes(exif_gps=True))],
        ),
    )[0]
    consultation_claim(consultation=c, actor=specialist)
    c.refresh_from_db()
    advice_record(
        consultation=c,
        actor=specialist,
        advice="Kháng sinh đường uống, hẹn khám lại sau 48 giờ. Dặn chị Dợ uống đủ nước.",
        outcome="manage_locally",
        diagnoses=[IcdCode.objects.get(code="J18.9")],
    )
    c.refresh_from_db()
    consultation_close(
        consultation=c, actor=worker, action_taken="Điều trị tại trạm, đỡ sau 3 ngày."
    )
    c.refresh_from_db()
    return c


def _leaks(text):
    """The secrets found in ``text`` as whole words: as written (case aside), and — for the
    names of several words and the numbers — also without diacritics. (A lone given name
    folded, "do", is an everyday word; written as it is, "Dợ" is the name.)"""
    found = []
    for secret in SECRETS:
        written = re.search(rf"(?<!\w){re.escape(secret)}(?!\w)", text, re.IGNORECASE)
        folded = len(secret.split()) > 1 or any(ch.isdigit() for ch in secret)
        if written or (folded and fold(secret) in fold(text)):
            found.append(secret)
    return found


def test_the_copy_hides_the_patient_the_relative_the_numbers_and_the_dates(closed, specialist):
    case, created = teaching_case_propose(consultation=closed, actor=specialist)
    assert created
    every_field = " ".join(
        [case.title, case.presentation, case.question, case.advice, case.course_of_care]
    )
    assert _leaks(every_field) == []
    assert "[người bệnh]" in case.presentation
    assert "[người nhà]" in case.presentation
    assert "Kháng sinh đường uống" in case.advice  # the clinical content stays
    assert case.diagnoses == "J18.9"
    assert case.age_band == "25–44 tuổi"
    assert case.redactions >= 6
    assert re.search(r"ngày thứ 0", case.course_of_care)


def test_the_photos_are_re_encoded_without_metadata(closed, specialist):
    case, _ = teaching_case_propose(consultation=closed, actor=specialist)
    (image,) = case.images.all()
    with image.file.open("rb") as f:
        data = f.read()
    # A file of its own (the record's files stay behind the consultation's access check),
    # decoded and written afresh: the phone's EXIF block (GPS, maker) is not carried over.
    assert str(image.file.name).startswith(f"teaching/{case.public_id}/")
    assert image.file.name != closed.attachments.get().file.name
    assert len(Image.open(io.BytesIO(data)).getexif()) == 0


def test_nothing_leaks_into_the_page_or_the_api_and_the_record_is_not_linked(
    closed, worker, specialist, coordinator, login, api_client
):
    answer = api_client(worker).post(
        "/api/teaching-cases", {"consult": str(closed.public_id)}, content_type="application/json"
    )
    assert answer.status_code == 201
    assert _leaks(answer.content.decode()) == []
    again = api_client(worker).post(
        "/api/teaching-cases", {"consult": str(closed.public_id)}, content_type="application/json"
    )
    assert again.status_code == 200
    case = TeachingCase.objects.get()
    (image,) = case.images.all()
    teaching_case_review(
        case=case, actor=coordinator, approve=True, confirmed_images=[image.public_id]
    )
    # Any clinician may now learn from it, with nothing that leads back to the record.
    reader = type(worker).objects.get(username="worker.other")  # another station
    page = login(reader).get(case.get_absolute_url()).content.decode()
    assert "Kháng sinh đường uống" in page
    assert _leaks(page) == []
    assert str(closed.public_id) not in page
    assert str(closed.patient.public_id) not in page
    assert login(reader).get(closed.get_absolute_url()).status_code == 404
    assert (
        login(reader).get(f"/training/cases/{case.public_id}/images/{image.public_id}.jpg")[
            "Content-Type"
        ]
        == "image/jpeg"
    )


def test_only_the_specialist_or_the_requester_proposes_and_only_once_closed(
    closed, coordinator, worker, specialist
):
    with pytest.raises(PermissionDenied):
        teaching_case_propose(consultation=closed, actor=coordinator)
    open_case = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=make_patient(worker), specialty=internal_medicine(), summary=summary()
        ),
    )[0]
    with pytest.raises(ValidationError):
        teaching_case_propose(consultation=open_case, actor=worker)
    assert not TeachingCase.objects.exists()


def test_review_needs_a_reviewer_of_the_hub_and_every_photo_confirmed(
    closed, specialist, coordinator, worker, login
):
    case, _ = teaching_case_propose(consultation=closed, actor=specialist)
    with pytest.raises(PermissionDenied):
        teaching_case_review(case=case, actor=specialist, approve=True)  # the proposer
    with pytest.raises(PermissionDenied):
        teaching_case_review(case=case, actor=worker, approve=True)
    with pytest.raises(ValidationError):
        teaching_case_review(case=case, actor=coordinator, approve=True, confirmed_images=[])
    case.refresh_from_db()
    assert case.status == CaseStatus.PROPOSED
    # Under review the case is seen by its proposer and the hub, not by other clinicians.
    other = type(worker).objects.get(username="worker.other")
    assert login(other).get(case.get_absolute_url()).status_code == 404
    assert login(coordinator).get(case.get_absolute_url()).status_code == 200
    declined = teaching_case_review(
        case=case, actor=coordinator, approve=False, note="Ảnh thấy mặt"
    )
    assert declined.status == CaseStatus.REJECTED
    with pytest.raises(ValidationError):
        teaching_case_review(case=case, actor=coordinator, approve=True)
