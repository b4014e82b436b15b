"""The counter-referral as a document: the station files it when the patient comes back, the
receiving side keeps its copy; no one else gets it, and no one before it is written."""

import io
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from caunoi.audit.models import AuditEvent
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.patients.tests.factories import make_patient
from caunoi.referrals.models import Referral
from caunoi.referrals.services import (
    referral_accept,
    referral_arrive,
    referral_counter_refer,
    referral_discharge,
)
from caunoi.referrals.tests.factories import make_referral

pytestmark = pytest.mark.django_db


def _fresh(r: Referral) -> Referral:
    return Referral.objects.get(pk=r.pk)


def _discharged(worker, receiver, **extra) -> Referral:
    patient = make_patient(worker, name="Hờ A Chớ", sex="male")
    r = make_referral(worker, patient, **extra)
    referral_accept(referral=_fresh(r), actor=receiver)
    referral_arrive(referral=_fresh(r), actor=receiver)
    referral_discharge(referral=_fresh(r), actor=receiver, outcome="outpatient")
    return _fresh(r)


def _counter_referred(worker, receiver, **extra) -> Referral:
    r = _discharged(worker, receiver, **extra)
    referral_counter_refer(
        referral=r,
        actor=receiver,
        diagnosis="Gãy đầu dưới xương quay trái",
        procedures="Nắn chỉnh, bó bột cẳng bàn tay",
        medication="Paracetamol 500 mg × 10 viên",
        follow_up="Kiểm tra tuần hoàn ngón tay hằng ngày; tháo bột sau 4 tuần tại trạm.",
        next_appointment=timezone.localdate() + timedelta(days=28),
    )
    return _fresh(r)


def _text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("side", ["worker", "receiver"])
def test_both_facilities_download_the_counter_referral_with_the_findings_and_the_plan(
    side, worker, receiver, login, request
):
    r = _counter_referred(worker, receiver)
    response = login(request.getfixturevalue(side)).get(
        f"/referrals/{r.public_id}/counter-referral.pdf"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "phieu-phan-hoi-" in response["Content-Disposition"]
    text = _text(response.content)
    for expected in [
        "PHIẾU PHẢN HỒI THÔNG TIN NGƯỜI BỆNH",
        "Hờ A Chớ",
        r.from_facility.name,
        "Gãy đầu dưới xương quay trái",
        "Nắn chỉnh, bó bột cẳng bàn tay",
        "Paracetamol 500 mg × 10 viên",
        "điều trị ngoại trú",
        "tháo bột sau 4 tuần tại trạm",
        f"{r.next_appointment:%d/%m/%Y}",
        "NGƯỜI VIẾT PHIẾU",
        receiver.get_full_name(),
    ]:
        assert expected in text, expected


def test_the_signature_block_stays_whole_however_long_the_follow_up(worker, receiver):
    from caunoi.referrals.counter import counter_referral_pdf

    r = _counter_referred(worker, receiver)
    for lines in range(20, 70, 2):
        r.follow_up = "\n".join(["Đo huyết áp mỗi sáng, ghi vào sổ theo dõi."] * lines)
        pages = [p.extract_text() for p in PdfReader(io.BytesIO(counter_referral_pdf(r))).pages]
        last = pages[-1]
        assert "NGƯỜI VIẾT PHIẾU" in last, lines
        assert "THỦ TRƯỞNG CƠ SỞ" in last, lines
        assert receiver.get_full_name() in last[last.index("NGƯỜI VIẾT PHIẾU") :], lines
        assert "NGƯỜI VIẾT PHIẾU" not in "".join(pages[:-1]), lines


def test_before_the_counter_referral_is_written_there_is_no_document(worker, receiver, login):
    r = _discharged(worker, receiver)
    for user in (worker, receiver):
        client = login(user)
        assert client.get(f"/referrals/{r.public_id}/counter-referral.pdf").status_code == 404
        assert "counter-referral.pdf" not in client.get(r.get_absolute_url()).content.decode()


def test_hub_staff_who_read_the_referral_do_not_get_the_counter_referral(
    worker, receiver, specialist, login
):
    patient = make_patient(worker, name="Lý Thị Cở")
    consult, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(patient=patient, specialty=internal_medicine(), summary=summary()),
    )
    r = make_referral(worker, patient, consultation=consult)
    referral_accept(referral=_fresh(r), actor=receiver)
    referral_arrive(referral=_fresh(r), actor=receiver)
    referral_discharge(referral=_fresh(r), actor=receiver, outcome="outpatient")
    referral_counter_refer(referral=_fresh(r), actor=receiver, diagnosis="Viêm phổi", follow_up="x")
    client = login(specialist)
    page = client.get(r.get_absolute_url())
    assert page.status_code == 200
    assert "counter-referral.pdf" not in page.content.decode()
    assert client.get(f"/referrals/{r.public_id}/counter-referral.pdf").status_code == 404


def test_outsiders_get_404(worker, receiver, officer, outsider, login):
    r = _counter_referred(worker, receiver)
    for user in (officer, outsider):
        assert login(user).get(f"/referrals/{r.public_id}/counter-referral.pdf").status_code == 404


def test_the_referral_page_links_the_document_for_both_facilities(worker, receiver, login):
    r = _counter_referred(worker, receiver)
    link = f'href="/referrals/{r.public_id}/counter-referral.pdf"'
    for user in (worker, receiver):
        assert link in login(user).get(r.get_absolute_url()).content.decode()


def test_reading_the_document_is_in_the_audit_trail(worker, receiver, login):
    r = _counter_referred(worker, receiver)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    login(worker).get(f"/referrals/{r.public_id}/counter-referral.pdf")
    row = AuditEvent.objects.get(id__gt=before, action="view")
    assert row.actor == worker
    assert row.detail["patients"] == [str(r.patient.public_id)]
