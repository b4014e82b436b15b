"""The referral loop through the pages: the worker refers from a consultation, the receiving
clinician accepts, records arrival and discharge and writes the counter-referral, the worker
sees it and acknowledges."""

import re
import uuid

import pytest

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, advice_record, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, summary
from caunoi.patients.tests.factories import make_patient
from caunoi.referrals.models import Referral

pytestmark = pytest.mark.browser

PATIENT = "Giàng Seo Phử"


@pytest.fixture
def consult(committed_db):
    worker = User.objects.get(username="worker")
    specialist = User.objects.get(username="specialist")
    patient = make_patient(worker, name=PATIENT, age_years=61)
    c, _created = consultation_submit(
        actor=worker,
        client_id=uuid.uuid4(),
        submit=True,
        data=ConsultationInput(patient=patient, specialty=internal_medicine(), summary=summary()),
    )
    advice_record(
        consultation=c, actor=specialist, advice="Chuyển tuyến tỉnh", outcome="refer", diagnoses=[]
    )
    yield c
    Referral.objects.filter(patient=patient).delete()
    Consultation.objects.filter(pk=c.pk).delete()
    patient.consents.all().delete()
    patient.delete()


def test_the_referral_loop_through_the_pages(new_page, sign_in, consult):
    worker = new_page()
    sign_in(worker, "worker")
    worker.goto(consult.get_absolute_url())
    worker.click("#refer")
    option = worker.locator(
        "#id_to_facility option", has_text="Bệnh viện Đa khoa tỉnh Cao Bằng"
    ).first
    worker.select_option("#id_to_facility", value=option.get_attribute("value"))
    worker.check("input[name=urgency][value=urgent]")
    # The reason is the worker's to write; the specialist's advice is there to read.
    assert "Chuyển tuyến tỉnh" in worker.locator("#consult-context").inner_text()
    assert worker.input_value("#id_reason") == ""
    worker.fill("#id_reason", "Cần điện tâm đồ gắng sức theo tư vấn của bác sĩ chuyên khoa")
    worker.fill("#id_accompanying_staff", "Y sĩ Sùng Thị Mai")
    worker.click("form.card button.primary")
    worker.wait_for_url(re.compile(r"/referrals/[0-9a-f-]{36}/$"))
    referral_url = worker.url

    receiver = new_page()
    sign_in(receiver, "receiver")
    receiver.goto("/")
    receiver.get_by_role("link", name=PATIENT).first.click()
    receiver.click("#accept")
    receiver.locator("#arrive-form button").click()
    receiver.select_option("#id_outcome", "outpatient")
    receiver.locator("#discharge-form button").click()
    receiver.fill("#id_diagnosis", "Cơn đau thắt ngực ổn định")
    receiver.fill("#id_follow_up", "Đo huyết áp mỗi ngày, tái khám sau 1 tháng")
    receiver.locator("#counter-form button").click()
    receiver.locator("#counter-referral").wait_for()

    worker.goto(referral_url)
    assert "Đo huyết áp mỗi ngày" in worker.locator("#counter-referral").inner_text()
    worker.click("#acknowledge")
    worker.locator("#counter-referral").wait_for()
    r = Referral.objects.get(patient=consult.patient)
    assert r.status == "acknowledged"
    assert r.consultation_id == consult.pk
    assert list(r.events.values_list("kind", flat=True)) == [
        "sent",
        "accepted",
        "arrived",
        "discharged",
        "counter_referred",
        "acknowledged",
    ]
    worker.goto(consult.patient.get_absolute_url())
    assert "Bệnh viện Đa khoa tỉnh Cao Bằng" in worker.locator("main").inner_text()
