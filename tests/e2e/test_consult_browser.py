"""The teleconsultation loop in two real browsers: the worker asks with a photo, the
specialist's queue shows it without a reload, the specialist answers, the worker sees the
answer without a reload, closes, and downloads the minutes."""

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation
from caunoi.consults.tests.factories import jpeg_bytes
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.browser

PATIENT = "Vàng Thị Sểnh"


@pytest.fixture
def patient(committed_db):
    worker = User.objects.get(username="worker")
    p = make_patient(worker, name=PATIENT, age_years=52)
    yield p
    Consultation.objects.filter(patient=p).delete()
    p.consents.all().delete()
    p.delete()


def test_worker_asks_specialist_answers_live_and_minutes_download(
    new_page, sign_in, patient, tmp_path
):
    specialist = new_page()
    sign_in(specialist, "specialist")
    specialist.goto("/consults/?queue=hub")
    specialist.wait_for_selector("body[data-live-state=open]")
    assert PATIENT not in specialist.locator("#queue").inner_text()

    worker = new_page()
    sign_in(worker, "worker")
    worker.goto(f"/consults/new/?patient={patient.public_id}")
    worker.select_option("#id_specialty", label="Nội khoa")
    worker.check("input[name=urgency][value=urgent]")
    worker.fill("#id_reason", "Đau ngực trái khi gắng sức")
    worker.fill("#id_temperature", "37,2".replace(",", "."))
    worker.fill("#id_systolic", "165")
    worker.fill("#id_diastolic", "95")
    worker.fill("#id_question", "Có cần chuyển tuyến ngay không?")
    photo = tmp_path / "ecg.jpg"
    photo.write_bytes(jpeg_bytes(2600, 1200, color="white"))
    worker.set_input_files("#id_attachments", str(photo))
    expect(worker.locator("#upload-status")).to_contain_text("ecg")
    worker.click("button[name=submit]")
    worker.wait_for_url(re.compile(r"/consults/[0-9a-f-]{36}/$"))
    assert "Bệnh viện Trung ương Huế" in worker.locator("#consult-live").inner_text()
    worker.wait_for_selector("body[data-live-state=open]")

    # The specialist's queue shows the new consult without a reload.
    row = specialist.locator("#queue a", has_text=PATIENT)
    row.wait_for(timeout=10_000)
    row.click()
    specialist.locator("form[action$='/claim/'] button").click()
    specialist.wait_for_selector("form[action$='/claim/']", state="detached")
    specialist.wait_for_selector("#advice-form")
    specialist.fill(
        "#id_advice",
        "Nghi cơn đau thắt ngực. Cho aspirin 81 mg, chuyển tuyến làm điện tâm đồ gắng sức.",
    )
    specialist.fill("#id_diagnoses", "I20.9, I10")
    specialist.check("input[name=outcome][value=refer]")
    specialist.locator("#advice-form button[type=submit]").click()
    specialist.wait_for_selector("#advice")

    # The worker sees the advice appear on the page she has open, without reloading it.
    worker.locator("#advice").wait_for(timeout=10_000)
    assert "aspirin" in worker.locator("#advice").inner_text()
    worker.locator("#close-form").wait_for(timeout=10_000)
    worker.fill("#id_action_taken", "Đã cho aspirin, chuyển Bệnh viện Đa khoa tỉnh.")
    worker.locator("#close-form button[type=submit]").click()
    worker.wait_for_selector("#minutes-link")
    with worker.expect_download() as download_info:
        worker.click("#minutes-link")
    pdf = download_info.value.path().read_bytes()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert PATIENT in text
    assert "I20.9" in text
    assert "BIÊN BẢN HỘI CHẨN TỪ XA" in text
    c = Consultation.objects.get(patient=patient)
    assert c.status == "closed"
    assert c.attachments.count() == 1
    stored = c.attachments.get()
    assert max(stored.width, stored.height) == 1600  # shrunk in the browser before upload
