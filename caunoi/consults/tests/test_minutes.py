"""The consultation minutes (Biên bản hội chẩn) as a document a person files: the signature
block never split over two pages, and figures written the Vietnamese way, as the page shows them."""

import io
import uuid

import pytest
from django.utils import translation
from pypdf import PdfReader

from caunoi.consults.minutes import minutes_pdf
from caunoi.consults.models import Consultation
from caunoi.consults.services import (
    ConsultationInput,
    advice_record,
    consultation_claim,
    consultation_close,
    consultation_submit,
    message_post,
)
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.django_db

ROLE_LEFT = "ĐẠI DIỆN CƠ SỞ ĐỀ NGHỊ"
ROLE_RIGHT = "CHỦ TRÌ HỘI CHẨN"
SIGN_HERE = "(ký, ghi rõ họ tên)"
HEADINGS = ("I. ", "II. ", "III. ", "IV. ", "V. ", "VI. ", "HỘI CHẨN TRỰC TUYẾN")


def _closed(worker, specialist, *, messages: int = 0, **vitals: str) -> Consultation:
    patient = make_patient(worker, name="Giàng Thị Dợ")
    c, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(
            patient=patient, specialty=internal_medicine(), summary=summary(**vitals)
        ),
    )
    consultation_claim(consultation=c, actor=specialist)
    for n in range(messages):
        message_post(
            consultation=c,
            actor=specialist if n % 2 else worker,
            body=f"Trao đổi lần {n + 1}: người bệnh còn sốt, ho có đờm, ăn uống kém, "
            "đã uống đủ thuốc theo hướng dẫn, chưa có dấu hiệu khó thở khi nghỉ.",
        )
    advice_record(
        consultation=c, actor=specialist, advice="Theo dõi tại trạm.", outcome="manage_locally",
        diagnoses=[],
    )  # fmt: skip
    c.refresh_from_db()
    consultation_close(consultation=c, actor=worker, action_taken="Điều trị tại trạm.")
    return Consultation.objects.select_related(
        "requester", "requester_facility", "specialist", "hub", "specialty", "patient"
    ).get(pk=c.pk)


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_the_signature_block_is_never_split_and_no_heading_ends_a_page(worker, specialist):
    """A thread long enough to fill page 1, then a longer and longer history (two lines at a
    time: the block is eight lines high), so that the headings after it and the signature block
    meet the end of a page at every height."""
    c = _closed(worker, specialist, messages=14)
    assert c.specialist is not None
    names = [c.requester.get_full_name(), c.specialist.get_full_name()]
    moved_whole = 0
    for lines in range(0, 50, 2):
        c.history = "\n".join(["Tăng huyết áp 5 năm, điều trị không đều."] * (lines + 1))
        pages = _pages(minutes_pdf(c))
        assert len(pages) >= 2, "the content fills page 1"
        last = pages[-1]
        assert SIGN_HERE not in "".join(pages[:-1]), (lines, len(pages))
        assert ROLE_LEFT in last, lines
        assert ROLE_RIGHT in last, lines
        signature_part = last[last.index(ROLE_LEFT) :]
        for name in names:
            assert name in signature_part, (lines, name)
        if "Đã thực hiện" not in last:
            moved_whole += 1  # the block did not fit: it starts the last page on its own
        for page in pages:
            body = [x for x in page.splitlines() if x.strip() and not x.startswith("Cầu Nối ·")]
            assert not body[-1].startswith(HEADINGS), (lines, body[-1])
    assert moved_whole >= 1, "no length brought the block to the end of a page"


@pytest.mark.parametrize("language", ["vi", "en"])
def test_vital_signs_use_the_vietnamese_decimal_comma_as_the_page_does(
    language, worker, specialist, login
):
    c = _closed(worker, specialist, temperature="37.8", weight="55.5", glucose="6.2")
    with translation.override(language):
        text = "".join(_pages(minutes_pdf(c)))
    assert "Nhiệt độ 37,8 °C" in text
    assert "Cân nặng 55,5 kg" in text
    assert "Đường huyết 6,2 mmol/L" in text
    assert "Huyết áp 118/76 mmHg" in text
    assert "37.8" not in text
    page = login(worker).get(c.get_absolute_url(), headers={"Accept-Language": "vi"})
    assert "37,8 °C" in page.content.decode()


def test_the_minutes_download_is_the_same_document(worker, specialist, login):
    c = _closed(worker, specialist, temperature="37.8")
    response = login(worker).get(f"/consults/{c.public_id}/minutes.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert "Nhiệt độ 37,8 °C" in "".join(_pages(response.content))
