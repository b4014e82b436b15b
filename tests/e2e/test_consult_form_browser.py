"""The consult form in a real browser when it comes back with an error: the photo already sent
is shown as kept, and sending the corrected form attaches it without choosing it again."""

import re

import pytest
from playwright.sync_api import expect

from caunoi.accounts.models import User
from caunoi.consults.models import Consultation, PendingUpload
from caunoi.consults.tests.factories import jpeg_bytes
from caunoi.patients.tests.factories import make_patient

pytestmark = pytest.mark.browser

PATIENT = "Giàng Thị Chư"


@pytest.fixture
def patient(committed_db):
    worker = User.objects.get(username="worker")
    p = make_patient(worker, name=PATIENT, age_years=29)
    yield p
    for c in Consultation.objects.filter(patient=p):
        for a in c.attachments.all():
            a.file.delete(save=False)
            a.thumbnail.delete(save=False)
    Consultation.objects.filter(patient=p).delete()
    for kept in PendingUpload.objects.filter(patient=p):
        kept.file.delete(save=False)
        kept.thumbnail.delete(save=False)
    PendingUpload.objects.filter(patient=p).delete()
    p.consents.all().delete()
    p.delete()


def test_a_photo_sent_with_a_form_that_came_back_is_kept_and_attached_later(
    new_page, sign_in, patient, tmp_path
):
    page = new_page()
    sign_in(page, "worker")
    page.goto(f"/consults/new/?patient={patient.public_id}")
    page.select_option("#id_specialty", label="Da liễu")
    page.check("input[name=urgency][value=routine]")
    page.fill("#id_reason", "Mảng da đỏ, ngứa ở cẳng tay 2 tuần")
    page.fill("#id_temperature", "73")  # a slip of the finger: 37
    page.fill("#id_question", "Chẩn đoán và hướng điều trị?")
    photo = tmp_path / "cang-tay.jpg"
    photo.write_bytes(jpeg_bytes(1200, 900, color="pink"))
    page.set_input_files("#id_attachments", str(photo))
    expect(page.locator("#upload-status")).to_contain_text("cang-tay")
    page.click("button[name=submit]")

    # The form is back with the error, and says the photo is already on the server.
    expect(page.locator("#id_temperature")).to_have_value("73")
    kept = page.locator("#pending-files")
    expect(kept).to_contain_text("cang-tay.jpg")
    thumbnail = kept.locator("img")
    expect(thumbnail).to_have_attribute("alt", "cang-tay.jpg")
    page.wait_for_function(
        "() => { const i = document.querySelector('#pending-files img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert page.locator("#id_attachments").evaluate("input => input.files.length") == 0

    page.fill("#id_temperature", "37.3")
    page.click("button[name=submit]")
    page.wait_for_url(re.compile(r"/consults/[0-9a-f-]{36}/$"))
    c = Consultation.objects.get(patient=patient)
    assert [a.original_name for a in c.attachments.all()] == ["cang-tay.jpg"]
    assert not PendingUpload.objects.filter(patient=patient).exists()
