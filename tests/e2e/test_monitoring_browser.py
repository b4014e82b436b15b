import uuid

import pytest

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.consults.services import ConsultationInput, consultation_submit
from caunoi.consults.tests.factories import internal_medicine, make_patient, summary

pytestmark = pytest.mark.browser


@pytest.fixture
def activity(committed_db):
    worker = User.objects.get(username="worker")
    made = []
    for i in range(6):
        patient = make_patient(worker, name=f"Biểu đồ {i}")
        made.append(
            consultation_submit(
                actor=worker,
                client_id=uuid.uuid4(),
                submit=True,
                data=ConsultationInput(
                    patient=patient, specialty=internal_medicine(), summary=summary()
                ),
            )[0]
        )
    yield made
    for c in made:
        patient = c.patient
        Consultation.objects.filter(pk=c.pk).delete()
        patient.consents.all().delete()
        patient.delete()


def test_officer_sees_the_province_dashboard_with_a_chart_and_its_table(
    new_page, sign_in, activity
):
    page = new_page()
    sign_in(page, "officer")
    page.goto("/monitoring/")
    assert "Tuyên Quang" in page.locator("h1").inner_text()
    page.locator("[data-chart=trend] svg").wait_for()
    assert page.locator("[data-chart=trend] svg .ct-point").count() >= 1
    rows = page.locator("#table-trend table tbody tr")
    assert rows.count() >= 1
    assert "6" in rows.last.inner_text()
    assert "Trạm Y tế xã Lũng Cú" in page.locator("#table-comparison").inner_text()
